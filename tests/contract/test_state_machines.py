"""The ``StateMachines`` contract: the in-memory fake and Step Functions on moto (``step_functions``) alike.

The fake interprets nothing, so only what both can honour is here; what the interpreter does (tasks, retries,
parked tasks resumed, timeouts) is in ``tests/workflows/test_step_functions.py``."""

from __future__ import annotations

import json

import pytest

from chalicelib.ports import StateMachines
from tests.fakes import FakeMachines
from tests.workflows.conftest import ended, entered

# An execution that stays running until stopped: it waits five minutes.
WAITING = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 300, "End": True}}})


@pytest.fixture(params=["fake", "aws"])
def machines(request: pytest.FixtureRequest) -> StateMachines:
    if request.param == "fake":
        return FakeMachines()
    machines: StateMachines = request.getfixturevalue("step_functions").ports.machines
    return machines


def test_deploying_again_updates_the_same_machine(machines: StateMachines) -> None:
    first = machines.deploy("orbit-test-flow", WAITING)
    again = machines.deploy("orbit-test-flow", WAITING.replace("300", "200"))

    assert again == first


def test_a_started_execution_runs(machines: StateMachines) -> None:
    _, target = machines.deploy("orbit-test-flow", WAITING)

    execution = machines.start(target, "journey-1", {"journey": {"contact": "c1"}})

    assert execution is not None
    assert machines.status(execution) == "RUNNING"


def test_starting_a_name_again_with_another_payload_is_a_duplicate(machines: StateMachines) -> None:
    _, target = machines.deploy("orbit-test-flow", WAITING)
    machines.start(target, "journey-1", {"trigger": "first"})

    assert machines.start(target, "journey-1", {"trigger": "second"}) is None


def test_starting_an_ended_execution_again_is_a_duplicate(machines: StateMachines) -> None:
    _, target = machines.deploy("orbit-test-flow", WAITING)
    execution = machines.start(target, "journey-1", {})
    assert execution
    entered(machines, execution)
    machines.stop(execution, "ended")
    ended(machines, execution)

    assert machines.start(target, "journey-1", {}) is None


def test_starting_a_running_execution_again_with_its_payload_gives_it_back(machines: StateMachines) -> None:
    """Step Functions' start is idempotent for a running execution asked again with the same input."""
    _, target = machines.deploy("orbit-test-flow", WAITING)
    execution = machines.start(target, "journey-1", {"trigger": "first"})

    assert machines.start(target, "journey-1", {"trigger": "first"}) == execution


def test_stop_aborts_a_running_execution(machines: StateMachines) -> None:
    _, target = machines.deploy("orbit-test-flow", WAITING)
    execution = machines.start(target, "journey-1", {})
    assert execution
    entered(machines, execution)

    machines.stop(execution, "the workflow was stopped")

    assert ended(machines, execution) == "ABORTED"


def test_stopping_an_ended_execution_changes_nothing(machines: StateMachines) -> None:
    _, target = machines.deploy("orbit-test-flow", WAITING)
    execution = machines.start(target, "journey-1", {})
    assert execution
    entered(machines, execution)
    machines.stop(execution, "first")
    ended(machines, execution)

    machines.stop(execution, "again")

    assert machines.status(execution) == "ABORTED"


def test_resuming_an_unknown_token_is_false(machines: StateMachines) -> None:
    assert machines.resume("no-such-token", {"event": "purchase"}) is False
