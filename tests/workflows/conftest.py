"""Helpers for running hand-written state machines on moto (the ``step_functions`` fixture is in
``tests/conftest.py``): a definition around the task function, and waiting for an execution or a call."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.ports import StateMachines

ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def asl(states: dict[str, Any], start: str | None = None) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states})


def ended(machines: StateMachines, execution_arn: str, timeout: float = 30.0) -> str:
    """The execution's final status, once it has one (polls; a test that never ends fails, it does not hang)."""
    deadline = time.monotonic() + timeout
    while (status := machines.status(execution_arn)) not in ENDED:
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still {status} after {timeout} s")
        time.sleep(0.02)
    return status


def entered(machines: StateMachines, execution_arn: str, timeout: float = 30.0) -> None:
    """Wait until the execution entered its first state (moto's interpreter starts in a thread of its own, and
    cannot stop an execution before that)."""
    deadline = time.monotonic() + timeout
    while machines.transitions(execution_arn) < 1:
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} entered no state after {timeout} s")
        time.sleep(0.02)


class Calls:
    """A stand-in task handler: answers each call with ``answer(event, n)`` (n counts from 1), keeps the events."""

    def __init__(self, answer: Callable[[dict[str, Any], int], Any]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []
        self._arrived = threading.Condition()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()
        return self.answer(event, len(self.events))

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The first ``count`` events, once they came."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.events) >= count, timeout):
                raise AssertionError(f"{len(self.events)} calls came, not {count}")
            return self.events[:count]


from tests.workflows.studio import studio  # noqa: E402, F401  (journeys end to end: the fixture)
