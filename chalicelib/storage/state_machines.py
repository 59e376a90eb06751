"""Step Functions: workflows' state machines (created or updated with a published version, and on AWS a ``live``
alias pointed at it; found by the ARN they have in the role's account) and their executions (started once per
name, stopped, parked tasks resumed, transitions counted). Every ClientError is translated into Orbit's errors
here.

Where executions start is one setting, ``workflow_start_on``: ``alias`` (AWS) starts them on the ``live`` alias, so
an update never changes what a running execution follows and a rollback is an alias move; ``machine`` starts them
on the state machine's own ARN (moto cannot start executions on a version or an alias; there, too, a running
execution keeps the definition it started with). The code path is the same: only the returned target differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import NotFound, OrbitError, Permanent, Retryable

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import RoutingConfigurationListItemTypeDef

ALIAS = "live"
_RETRYABLE = {"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable", "InternalServerError"}
_NOT_FOUND = {"ExecutionDoesNotExist", "StateMachineDoesNotExist", "ResourceNotFound"}
_TOKEN_GONE = {"TaskDoesNotExist", "InvalidToken", "TaskTimedOut"}
_MAX_CAUSE = 32768  # StopExecution's limit on ``cause``


def translate(exc: Exception) -> OrbitError:
    """One place that turns Step Functions' errors into Orbit's error tree."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", code)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        if code in _RETRYABLE or status >= 500:
            return Retryable(f"Step Functions is busy: {code}")
        if code in _NOT_FOUND:
            return NotFound(f"Step Functions has no such resource: {message}")
        return Permanent(f"Step Functions rejected the request: {code}: {message}")
    if isinstance(exc, BotoCoreError):
        return Retryable(f"AWS call failed: {exc}")
    raise exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _answer_task(send: Callable[[], object]) -> bool:
    """Run ``send`` (a task token's success or failure): False when the token is gone (its execution ended or
    the token was answered before), True when it was answered."""
    try:
        send()
    except ClientError as exc:
        if _code(exc) in _TOKEN_GONE:
            return False
        raise translate(exc) from exc
    except BotoCoreError as exc:
        raise translate(exc) from exc
    return True


class StepFunctionsMachines:
    """The ``StateMachines`` port on Step Functions."""

    def __init__(
        self, client: Callable[[], SFNClient], role_arn: str, start_on: Literal["alias", "machine"] = "alias"
    ) -> None:
        """``client``: makes the client on first use (every Lambda builds the ports; few start executions)."""
        self._client = client
        self.role_arn = role_arn
        self.start_on = start_on

    @property
    def client(self) -> SFNClient:
        return self._client()

    def deploy(self, name: str, definition: str, express: bool = False) -> tuple[str, str]:
        if not self.role_arn.startswith("arn:"):
            raise Permanent(
                "workflow_role_arn (ORBIT_WORKFLOW_ROLE_ARN) is not a role ARN: no role to run workflows as"
            )
        try:
            arn = self._arn(name)
            version = self._update(arn, definition)
            if version is None:
                try:
                    created = self.client.create_state_machine(
                        name=name,
                        definition=definition,
                        roleArn=self.role_arn,
                        type="EXPRESS" if express else "STANDARD",
                        publish=True,
                    )
                    arn, version = created["stateMachineArn"], created["stateMachineVersionArn"]
                except ClientError as exc:  # a concurrent first deploy created it: update that one
                    if _code(exc) != "StateMachineAlreadyExists" or (version := self._update(arn, definition)) is None:
                        raise
            if self.start_on == "machine":
                return arn, arn
            return arn, self._point_alias(arn, version)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc

    def _update(self, arn: str, definition: str) -> str | None:
        """Update the state machine and publish a version (its ARN); None when there is no such state machine."""
        try:
            updated = self.client.update_state_machine(
                stateMachineArn=arn, definition=definition, roleArn=self.role_arn, publish=True
            )
        except ClientError as exc:
            if _code(exc) == "StateMachineDoesNotExist":
                return None
            raise
        return updated["stateMachineVersionArn"]

    def _arn(self, name: str) -> str:
        """The ARN state machine ``name`` has (or will have): in the role's partition and account, the client's
        region. (No ListStateMachines: IAM grants it only on "*".)"""
        partition, account = self.role_arn.split(":")[1], self.role_arn.split(":")[4]
        return f"arn:{partition}:states:{self.client.meta.region_name}:{account}:stateMachine:{name}"

    def _point_alias(self, machine_arn: str, version_arn: str) -> str:
        """Point ``live`` at ``version_arn`` (creating it the first time); its ARN."""
        routing: list[RoutingConfigurationListItemTypeDef] = [{"stateMachineVersionArn": version_arn, "weight": 100}]
        alias_arn = f"{machine_arn}:{ALIAS}"
        try:
            self.client.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=routing)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise
            created = self.client.create_state_machine_alias(name=ALIAS, routingConfiguration=routing)
            alias_arn = created["stateMachineAliasArn"]
        return alias_arn

    def start(self, target: str, name: str, payload: dict[str, Any]) -> str | None:
        try:
            out = self.client.start_execution(stateMachineArn=target, name=name, input=json.dumps(payload))
        except ClientError as exc:
            if _code(exc) == "ExecutionAlreadyExists":
                return None  # the duplicate-start guard working
            raise translate(exc) from exc
        except BotoCoreError as exc:
            raise translate(exc) from exc
        return out["executionArn"]

    def stop(self, execution_arn: str, cause: str) -> None:
        try:
            if self.client.describe_execution(executionArn=execution_arn)["status"] != "RUNNING":
                return
            self.client.stop_execution(executionArn=execution_arn, cause=cause[:_MAX_CAUSE])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        return _answer_task(lambda: self.client.send_task_success(taskToken=token, output=json.dumps(output)))

    def fail_task(self, token: str, error: str, cause: str) -> bool:
        return _answer_task(lambda: self.client.send_task_failure(taskToken=token, error=error, cause=cause[:32768]))

    def status(self, execution_arn: str) -> str:
        try:
            return self.client.describe_execution(executionArn=execution_arn)["status"]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc

    def transitions(self, execution_arn: str) -> int:
        try:
            pages = self.client.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
            return sum(1 for page in pages for event in page["events"] if event["type"].endswith("StateEntered"))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc
