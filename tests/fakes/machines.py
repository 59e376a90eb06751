"""In-memory ``StateMachines``: records deploys, starts, stops and resumes; interprets nothing (an execution stays
RUNNING until stopped, or until a test ends it with ``finish``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ARN = "arn:aws:states:us-east-1:123456789012"


@dataclass
class FakeExecution:
    arn: str
    target: str
    name: str
    payload: dict[str, Any]
    status: str = "RUNNING"
    cause: str | None = None
    transitions: int = 1  # the first state entered


@dataclass
class FakeMachines:
    """``deploys[name]`` holds every definition deployed (the last one is live); ``executions`` by ARN; ``tokens``
    the parked task tokens a test made known (``park``), ``resumed`` the (token, output) pairs taken."""

    deploys: dict[str, list[str]] = field(default_factory=dict)
    executions: dict[str, FakeExecution] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    resumed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed_tasks: list[tuple[str, str]] = field(default_factory=list)  # (token, error name)

    def deploy(self, name: str, definition: str, express: bool = False) -> tuple[str, str]:
        self.deploys.setdefault(name, []).append(definition)
        arn = f"{ARN}:stateMachine:{name}"
        return arn, arn

    def start(self, target: str, name: str, payload: dict[str, Any]) -> str | None:
        machine = target.split(":")[6]
        arn = f"{ARN}:execution:{machine}:{name}"
        known = self.executions.get(arn)
        if known is not None:  # Step Functions' idempotent start: the same running execution, asked again
            return arn if known.status == "RUNNING" and known.payload == payload else None
        self.executions[arn] = FakeExecution(arn, target, name, payload)
        return arn

    def stop(self, execution_arn: str, cause: str) -> None:
        execution = self.executions[execution_arn]
        if execution.status == "RUNNING":
            execution.status, execution.cause = "ABORTED", cause

    def park(self, token: str) -> None:
        """Make ``token`` a parked task's, as a waitForTaskToken state would."""
        self.tokens.add(token)

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        if token not in self.tokens:
            return False
        self.tokens.discard(token)
        self.resumed.append((token, output))
        return True

    def fail_task(self, token: str, error: str, cause: str) -> bool:
        if token not in self.tokens:
            return False
        self.tokens.discard(token)
        self.failed_tasks.append((token, error))
        return True

    def finish(self, execution_arn: str, status: str = "SUCCEEDED") -> None:
        """End an execution as the interpreter would have."""
        self.executions[execution_arn].status = status

    def status(self, execution_arn: str) -> str:
        return self.executions[execution_arn].status

    def transitions(self, execution_arn: str) -> int:
        return self.executions[execution_arn].transitions
