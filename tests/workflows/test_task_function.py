"""The app's ``workflow_task`` Lambda function as Step Functions sees it (through the Lambda routing on moto): it
answers with the use case's result, and its errors reach Retry and Catch under the names the compiled state
machines use (``chalicelib.workflows.asl``)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Retryable
from chalicelib.ports import Ports
from chalicelib.services.workflows import tasks
from chalicelib.services.workflows.scope import JourneyStopped
from chalicelib.workflows.asl import STOPPED_ERROR
from tests.conftest import StepFunctions
from tests.workflows.conftest import asl, ended


class Throttled(Retryable):
    """A kind of Retryable (Lambda would report its own class name)."""


def test_the_task_function_answers_with_the_use_case_result(
    step_functions: StepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "handle", lambda ports, event: {"at": "done", "saw": event["action"]})
    definition = asl(
        {"Run": {"Type": "Task", "Resource": step_functions.task_arn, "ResultPath": "$.step", "End": True}}
    )
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", definition)
    execution = machines.start(target, "e1", {"action": "run"})
    assert execution

    assert ended(machines, execution) == "SUCCEEDED"
    out = machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    assert '"saw": "run"' in out["output"]


def test_any_retryable_reaches_step_functions_as_retryable(
    step_functions: StepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    def busy_once(ports: Ports, event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise Throttled("DynamoDB is busy")
        return {"at": "done"}

    monkeypatch.setattr(tasks, "handle", busy_once)
    retry = [{"ErrorEquals": ["Retryable"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    state = {"Type": "Task", "Resource": step_functions.task_arn, "Retry": retry, "End": True}
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", asl({"Run": state}))
    execution = machines.start(target, "e1", {})
    assert execution

    assert ended(machines, execution) == "SUCCEEDED"
    assert len(attempts) == 2


def test_a_journey_stopped_is_caught_by_the_compiled_name(
    step_functions: StepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop(ports: Ports, event: dict[str, Any]) -> dict[str, Any]:
        raise JourneyStopped("stop rule met")

    monkeypatch.setattr(tasks, "handle", stop)
    catch = [{"ErrorEquals": [STOPPED_ERROR], "ResultPath": "$.stopped", "Next": "Stopped"}]
    state = {"Type": "Task", "Resource": step_functions.task_arn, "Catch": catch, "End": True}
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", asl({"Run": state, "Stopped": {"Type": "Pass", "End": True}}))
    execution = machines.start(target, "e1", {})
    assert execution

    assert ended(machines, execution) == "SUCCEEDED"
    out = machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    assert '"Error": "JourneyStopped"' in out["output"]
