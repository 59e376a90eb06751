"""The compiler: a checked workflow as Amazon States Language, deterministically (the same workflow and revision
give byte-identical JSON, so golden tests can pin it).

Every stretch (``workflows.graph``) is one ``Run <block>`` Task state calling Orbit's workflow task function, which
runs the stretch's blocks in Python and answers where it stopped (``$.step.at``) and how long the pause there
lasts (``$.step.seconds``, already divided by the stage's time scale). A stretch with several possible stops is
followed by one ``Route <block>`` Choice state. Pauses compile to:

* ``wait``: a ``Wait <block>`` Wait state reading ``SecondsPath``;
* ``waitForEvent``: an ``Await <block>`` Task state on ``lambda:invoke.waitForTaskToken`` that parks its task
  token (resumed by the consumer with the event as output, into ``$.step.resumed``), with ``TimeoutSecondsPath``
  and a ``States.Timeout`` Catch leading to the timeout branch (a stop rule met while parked fails the task with
  ``JourneyStopped``, caught into ``Stopped``).

The journey context (``$.journey``: contact, trigger, workflow) is never written by a task: results go to
``$.step``. Transient Lambda errors and Orbit's ``Retryable`` are retried; a stop rule met raises
``JourneyStopped``, caught into the ``Stopped`` Succeed state; anything else is caught into ``Failed``, a task that
records the failure, then the ``Failure`` Fail state.

``task_queue_url`` compiles the same states for an interpreter that cannot run Lambda (LocalStack without Docker,
``tests/localstack``): every task state then sends its payload to that SQS queue with
``sqs:sendMessage.waitForTaskToken`` instead of invoking the function. ``run`` and ``fail`` payloads carry the
token as ``taskToken`` (whoever runs the task answers it with SendTaskSuccess or SendTaskFailure, the error named
as Lambda names it); a ``park`` payload carries it as ``token``, kept by the task code for the consumer, as ever.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.workflows.blocks import End, Wait, WaitForEvent
from chalicelib.workflows.graph import stretches
from chalicelib.workflows.model import Workflow

RETRYABLE = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Retryable",
]
STOPPED_ERROR = "JourneyStopped"
DONE, STOPPED, FAILED, FAILURE = "Done", "Stopped", "Failed", "Failure"
SQS_TASK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def run_state(block_id: str) -> str:
    return f"Run {block_id}"


def _retry() -> list[dict[str, Any]]:
    return [{"ErrorEquals": RETRYABLE, "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 2.0}]


def _failed_catch() -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILED}


def _queued(queue_url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A task state's ``Resource`` and ``Parameters`` sending ``payload`` to the queue and waiting for its token."""
    return {"Resource": SQS_TASK, "Parameters": {"QueueUrl": queue_url, "MessageBody": payload}}


def compile_workflow(
    workflow_id: str, revision: int, workflow: Workflow, task_arn: str, task_queue_url: str | None = None
) -> dict[str, Any]:
    """The state machine definition of ``workflow`` (already checked by ``graph.check``) at ``revision``, calling the
    task function ``task_arn``, or with ``task_queue_url`` sending every task to that queue (module docstring)."""
    blocks = workflow.blocks
    header = {"workflow": workflow_id, "revision": revision}
    states: dict[str, Any] = {}

    def stop_state(block_id: str) -> str:
        block = blocks[block_id]
        if isinstance(block, Wait):
            return f"Wait {block_id}"
        if isinstance(block, WaitForEvent):
            return f"Await {block_id}"
        return DONE

    for part in stretches(workflow):
        run: dict[str, Any] = {
            "Type": "Task",
            "Resource": task_arn,
            "Parameters": header | {"action": "run", "from": part.start, "journey.$": "$.journey", "step.$": "$.step"},
            "ResultPath": "$.step",
            "Retry": _retry(),
            "Catch": [
                {"ErrorEquals": [STOPPED_ERROR], "ResultPath": "$.stopped", "Next": STOPPED},
                _failed_catch(),
            ],
        }
        if len(part.stops) == 1 and isinstance(blocks[part.stops[0]], End):
            run["End"] = True
        elif len(part.stops) == 1:
            run["Next"] = stop_state(part.stops[0])
        else:
            route = f"Route {part.start}"
            run["Next"] = route
            states[route] = {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.step.at", "StringEquals": stop, "Next": stop_state(stop)} for stop in part.stops
                ],
                "Default": FAILURE,
            }
        states[run_state(part.start)] = run
    for block_id, block in blocks.items():
        if isinstance(block, Wait):
            states[f"Wait {block_id}"] = {
                "Type": "Wait",
                "SecondsPath": "$.step.seconds",
                "Next": run_state(block.next),
            }
        elif isinstance(block, WaitForEvent):
            states[f"Await {block_id}"] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": task_arn,
                    "Payload": header
                    | {
                        "action": "park",
                        "block": block_id,
                        "token.$": "$$.Task.Token",
                        "journey.$": "$.journey",
                        "step.$": "$.step",
                    },
                },
                "TimeoutSecondsPath": "$.step.seconds",
                "ResultPath": "$.step.resumed",
                "Next": run_state(block.next.event),
                "Retry": _retry(),
                "Catch": [
                    {"ErrorEquals": [STOPPED_ERROR], "ResultPath": "$.stopped", "Next": STOPPED},
                    {
                        "ErrorEquals": ["States.Timeout"],
                        "ResultPath": "$.step.timedOut",
                        "Next": run_state(block.next.timeout),
                    },
                    _failed_catch(),
                ],
            }
    routed = {c["Next"] for s in states.values() if s["Type"] == "Choice" for c in s["Choices"]}
    if DONE in routed:
        states[DONE] = {"Type": "Succeed"}
    states[STOPPED] = {"Type": "Succeed"}
    states[FAILED] = {
        "Type": "Task",
        "Resource": task_arn,
        "Parameters": header | {"action": "fail", "journey.$": "$.journey", "step.$": "$.step", "error.$": "$.error"},
        "ResultPath": "$.recorded",
        "Retry": _retry(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.recordError", "Next": FAILURE}],
        "Next": FAILURE,
    }
    states[FAILURE] = {"Type": "Fail", "Error": "Orbit.JourneyFailed", "Cause": "A block failed; see the journey"}
    if task_queue_url:
        for state in states.values():
            if state["Type"] != "Task":
                continue
            if state["Resource"] == task_arn:  # run or fail: answered by whoever runs the task
                state.update(_queued(task_queue_url, state["Parameters"] | {"taskToken.$": "$$.Task.Token"}))
            else:  # park: the payload already carries the token the consumer resumes
                state.update(_queued(task_queue_url, state["Parameters"]["Payload"]))
    return {
        "Comment": f"Orbit workflow {workflow_id} revision {revision}: {workflow.name}",
        "StartAt": run_state(workflow.start),
        "States": states,
    }


def definition_json(definition: dict[str, Any]) -> str:
    """The definition as the JSON text Step Functions stores (keys sorted, so it is deterministic)."""
    return json.dumps(definition, sort_keys=True, separators=(",", ":"))


def initial_input(journey: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    """An execution's input: the journey context and the first step (no task has run)."""
    return {"journey": journey, "step": {"seq": 0, "at": None, "seconds": 0, "vars": variables}}
