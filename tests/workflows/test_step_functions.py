"""What Orbit relies on in Step Functions, through its adapter (``StepFunctionsMachines``) and the Lambda routing
(``chalicelib.local.moto_lambda``) on moto running real ASL: Task states reach the task handler, errors keep their
names for Retry and Catch, parked tasks resume, and executions keep the definition they started with."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import Retryable
from tests.conftest import StepFunctions
from tests.workflows.conftest import Calls, asl, ended


class JourneyStopped(Exception):
    """A custom error, caught by its name."""


def task(sf: StepFunctions, calls: Calls, **state: Any) -> dict[str, Any]:
    sf.handlers[sf.task_function] = calls
    return {"Type": "Task", "Resource": sf.task_arn, **state}


def park(sf: StepFunctions, calls: Calls, **state: Any) -> dict[str, Any]:
    sf.handlers[sf.task_function] = calls
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": sf.task_arn, "Payload": {"token.$": "$$.Task.Token"}},
        **state,
    }


def run(sf: StepFunctions, definition: str, payload: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Deploy, start, wait for the end: (status, output)."""
    machines = sf.ports.machines
    _, target = machines.deploy("orbit-test-flow", definition)
    execution = machines.start(target, "e1", payload or {})
    assert execution
    status = ended(machines, execution)
    out = sf.ports.machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    return status, json.loads(out.get("output") or "null")


def test_a_task_state_calls_the_task_handler_with_its_input(step_functions: StepFunctions) -> None:
    calls = Calls(lambda event, n: {"got": event["contact"]})
    definition = asl({"Run": task(step_functions, calls, ResultPath="$.step", End=True)})

    status, output = run(step_functions, definition, {"contact": "c1"})

    assert status == "SUCCEEDED"
    assert output == {"contact": "c1", "step": {"got": "c1"}}


def raise_retryable_once(event: dict[str, Any], n: int) -> dict[str, Any]:
    if n == 1:
        raise Retryable("busy")
    return {"attempt": n}


def test_a_raised_retryable_is_retried_by_name_then_succeeds(step_functions: StepFunctions) -> None:
    calls = Calls(raise_retryable_once)
    retry = [{"ErrorEquals": ["Retryable"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    definition = asl({"Run": task(step_functions, calls, Retry=retry, ResultPath="$.step", End=True)})

    status, output = run(step_functions, definition)

    assert status == "SUCCEEDED"
    assert output["step"] == {"attempt": 2}


def stop_journey(event: dict[str, Any], n: int) -> None:
    raise JourneyStopped("stop rule met")


def test_a_raised_custom_error_is_caught_by_its_class_name(step_functions: StepFunctions) -> None:
    calls = Calls(stop_journey)
    catch = [{"ErrorEquals": ["JourneyStopped"], "ResultPath": "$.stopped", "Next": "Stopped"}]
    definition = asl({"Run": task(step_functions, calls, Catch=catch, End=True), "Stopped": {"Type": "Succeed"}})

    status, output = run(step_functions, definition)

    assert status == "SUCCEEDED"
    assert output["stopped"]["Error"] == "JourneyStopped"
    assert json.loads(output["stopped"]["Cause"])["errorMessage"] == "stop rule met"


def test_an_uncaught_error_fails_the_execution(step_functions: StepFunctions) -> None:
    definition = asl({"Run": task(step_functions, Calls(stop_journey), End=True)})

    status, _ = run(step_functions, definition)

    assert status == "FAILED"


def test_a_parked_task_resumes_with_the_output_at_its_result_path(step_functions: StepFunctions) -> None:
    calls = Calls(lambda event, n: None)
    definition = asl({"Await": park(step_functions, calls, ResultPath="$.step.resumed", End=True)})
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", definition)
    execution = machines.start(target, "e1", {"step": {"seq": 1}})
    assert execution
    (parked,) = calls.wait_for(1)

    assert machines.resume(parked["token"], {"event": "purchase"}) is True

    assert ended(machines, execution) == "SUCCEEDED"
    out = machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    assert json.loads(out["output"]) == {"step": {"seq": 1, "resumed": {"event": "purchase"}}}


def test_a_token_resumes_its_task_once(step_functions: StepFunctions) -> None:
    calls = Calls(lambda event, n: None)
    definition = asl({"Await": park(step_functions, calls, End=True)})
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", definition)
    execution = machines.start(target, "e1", {})
    assert execution
    (parked,) = calls.wait_for(1)
    machines.resume(parked["token"], {})
    ended(machines, execution)

    assert machines.resume(parked["token"], {}) is False


def test_a_parked_task_that_times_out_takes_the_timeout_catch(step_functions: StepFunctions) -> None:
    catch = [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Late"}]
    waiting = park(step_functions, Calls(lambda event, n: None), TimeoutSeconds=1, Catch=catch, End=True)
    definition = asl({"Await": waiting, "Late": {"Type": "Pass", "Result": {"branch": "timeout"}, "End": True}})

    status, output = run(step_functions, definition)

    assert status == "SUCCEEDED"
    assert output == {"branch": "timeout"}


def test_an_update_leaves_a_running_execution_on_the_definition_it_started_with(
    step_functions: StepFunctions,
) -> None:
    calls = Calls(lambda event, n: None)

    def version(label: str) -> str:
        pause = park(step_functions, calls, ResultPath=None, Next="Label")
        return asl({"Await": pause, "Label": {"Type": "Pass", "Result": {"version": label}, "End": True}})

    machines = step_functions.ports.machines
    first, target = machines.deploy("orbit-test-flow", version("v1"))
    execution = machines.start(target, "e1", {})
    assert execution
    (parked,) = calls.wait_for(1)

    second, _ = machines.deploy("orbit-test-flow", version("v2"))
    machines.resume(parked["token"], {})

    assert second == first
    assert ended(machines, execution) == "SUCCEEDED"
    out = machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    assert json.loads(out["output"]) == {"version": "v1"}


def test_transitions_count_the_states_entered(step_functions: StepFunctions) -> None:
    definition = asl({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}})
    machines = step_functions.ports.machines
    _, target = machines.deploy("orbit-test-flow", definition)
    execution = machines.start(target, "e1", {})
    assert execution
    ended(machines, execution)

    assert machines.transitions(execution) == 3


def test_on_aliases_each_deploy_points_live_at_the_new_version(step_functions: StepFunctions) -> None:
    from chalicelib import aws
    from chalicelib.storage.state_machines import StepFunctionsMachines

    machines = StepFunctionsMachines(aws.stepfunctions, step_functions.ports.settings.workflow_role_arn, "alias")
    definition = asl({"Done": {"Type": "Succeed"}})
    machine, first = machines.deploy("orbit-test-flow", definition)
    _, second = machines.deploy("orbit-test-flow", asl({"End": {"Type": "Succeed"}}))

    assert first == second == f"{machine}:live"
    routing = aws.stepfunctions().describe_state_machine_alias(stateMachineAliasArn=second)["routingConfiguration"]
    assert [r["stateMachineVersionArn"] for r in routing] == [f"{machine}:2"]
