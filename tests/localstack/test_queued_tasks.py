"""The compiler's queued form (``task_queue_url``), used to run journeys on LocalStack: the same states as the
Lambda form, only each task state's ``Resource`` and ``Parameters`` differ. Pure; runs in ``make test``."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.workflows.asl import SQS_TASK, compile_workflow
from chalicelib.workflows.graph import check
from chalicelib.workflows.model import parse_workflow
from tests.unit.workflows.examples import EXAMPLES, TASK_ARN

QUEUE = "http://127.0.0.1:4566/queue/us-east-1/000000000000/orbit-tasks"


def both(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    workflow = parse_workflow(EXAMPLES[name])
    check(workflow)
    lambda_form = compile_workflow("wf_example", 3, workflow, TASK_ARN)
    return lambda_form, compile_workflow("wf_example", 3, workflow, TASK_ARN, task_queue_url=QUEUE)


def without_call(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in ("Resource", "Parameters")}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_only_the_task_states_calls_differ(name: str):
    lambda_form, queued = both(name)

    assert queued.keys() == lambda_form.keys() and queued["States"].keys() == lambda_form["States"].keys()
    for state_name, state in queued["States"].items():
        assert without_call(state) == without_call(lambda_form["States"][state_name]), state_name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_task_state_sends_to_the_queue_and_waits_for_its_token(name: str):
    _, queued = both(name)

    tasks = [s for s in queued["States"].values() if s["Type"] == "Task"]

    assert tasks and all(s["Resource"] == SQS_TASK and s["Parameters"]["QueueUrl"] == QUEUE for s in tasks)


def test_run_and_fail_bodies_are_the_lambda_payload_with_the_token_to_answer():
    lambda_form, queued = both("abandoned_cart")

    for state_name in ("Run wait-purchase", "Run remind", "Failed"):
        body = queued["States"][state_name]["Parameters"]["MessageBody"]
        assert body == lambda_form["States"][state_name]["Parameters"] | {"taskToken.$": "$$.Task.Token"}


def test_a_park_body_is_the_lambda_payload_whose_token_the_consumer_resumes():
    lambda_form, queued = both("abandoned_cart")

    body = queued["States"]["Await wait-purchase"]["Parameters"]["MessageBody"]

    assert body == lambda_form["States"]["Await wait-purchase"]["Parameters"]["Payload"]
    assert body["token.$"] == "$$.Task.Token" and "taskToken.$" not in body
