"""The issue's journeys on a second interpreter: the same compiled States Language (its task states queued, see
``bridge.py``) on LocalStack's Step Functions, running the real task code. Each takes the path, and makes the
transitions, that ``tests/workflows/test_journeys_end_to_end.py`` sees on moto and ``transitions.py`` counts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.contacts import keys
from chalicelib.errors import Retryable
from chalicelib.services.workflows import definitions, tasks
from chalicelib.workflows.asl import SQS_TASK
from tests.localstack.conftest import Bridged
from tests.unit.workflows.examples import ABANDONED_CART, ONE_FROM_MANY, WELCOME_SERIES
from tests.unit.workflows.transitions import states_for_path

pytestmark = pytest.mark.localstack


def cart(timeout_hours: int, stop_on_order: bool = True) -> dict:
    workflow = copy.deepcopy(ABANDONED_CART)
    workflow["settings"].pop("sendHours")  # the real clock may be outside them
    workflow["blocks"]["wait-purchase"]["timeout"] = {"hours": timeout_hours}
    if not stop_on_order:
        workflow["settings"]["stopWhen"] = []  # the order resumes the wait instead of stopping the journey
    return workflow


def execution(on: Bridged, workflow_id: str, person: str) -> str:
    arn = on.studio.journey(workflow_id, person).execution_arn
    assert arn is not None
    return arn


def test_the_published_machine_sends_every_task_to_the_queue(on_localstack: Bridged):
    studio = on_localstack.studio
    studio.template("abandoned-cart")
    studio.contact("ann")
    workflow_id = studio.publish(cart(timeout_hours=12))
    studio.event("ann", "Cart Updated", cart_id="c-1")
    studio.ended(workflow_id, "ann")

    states = on_localstack.definition(execution(on_localstack, workflow_id, "ann"))["States"]

    assert {s["Resource"] for s in states.values() if s["Type"] == "Task"} == {SQS_TASK}


def test_an_abandoned_cart_times_out_and_is_reminded(on_localstack: Bridged):
    studio = on_localstack.studio
    studio.template("abandoned-cart")
    studio.contact("ann")
    workflow_id = studio.publish(cart(timeout_hours=12))  # half a second at 86,400x

    studio.event("ann", "Cart Updated", cart_id="c-1")

    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    (mail,) = studio.outbox("ann")
    assert "(c-1)" in mail.message.content["subject"]
    arn = execution(on_localstack, workflow_id, "ann")
    entered = on_localstack.states_entered(arn)
    assert entered == states_for_path(on_localstack.definition(arn), ["timeout"])
    assert entered == ["Run wait-purchase", "Await wait-purchase", "Run remind"]  # 3, as on moto
    assert studio.journey(workflow_id, "ann").status == "finished"


def test_a_purchase_of_the_cart_resumes_the_wait_and_nobody_is_reminded(on_localstack: Bridged):
    studio = on_localstack.studio
    studio.template("abandoned-cart")
    studio.contact("bob")
    workflow_id = studio.publish(cart(timeout_hours=24 * 30, stop_on_order=False))  # 30 s: the order comes first
    studio.event("bob", "Cart Updated", cart_id="c-7")
    studio.wait_until(lambda: studio.ports.journeys.parked(keys.known("bob"), "Order Completed"), what="the park")

    studio.event("bob", "Order Completed", cart_id="c-7")

    assert studio.ended(workflow_id, "bob") == "SUCCEEDED"
    assert studio.outbox("bob") == []
    arn = execution(on_localstack, workflow_id, "bob")
    assert on_localstack.states_entered(arn) == ["Run wait-purchase", "Await wait-purchase", "Run done"]


def test_an_order_for_the_cart_stops_the_journey(on_localstack: Bridged):
    studio = on_localstack.studio
    studio.template("abandoned-cart")
    studio.contact("cy")
    workflow_id = studio.publish(cart(timeout_hours=24 * 30))
    studio.event("cy", "Cart Updated", cart_id="c-9")
    studio.wait_until(lambda: studio.ports.journeys.parked(keys.known("cy"), "Order Completed"), what="the park")

    studio.event("cy", "Order Completed", cart_id="c-9")

    # the order both resumes the wait and stops the execution. LocalStack 4.9.2 does not stop an execution whose task
    # waits for its token (StopExecution answers 200, it runs on): the next task's JourneyStopped then ends it FAILED,
    # without its Catch, where AWS and moto say ABORTED (or SUCCEEDED, through Stopped, when the task came first)
    assert studio.ended(workflow_id, "cy") in ("ABORTED", "SUCCEEDED", "FAILED")
    assert studio.journey(workflow_id, "cy").status == "stopped"
    assert studio.outbox("cy") == []
    assert "Run remind" not in on_localstack.states_entered(execution(on_localstack, workflow_id, "cy"))


def test_a_welcome_series_takes_the_same_nine_states_as_on_moto(on_localstack: Bridged):
    studio = on_localstack.studio
    for template_id in ("welcome-1", "welcome-2", "welcome-3a", "welcome-3b", "welcome-4", "welcome-5"):
        studio.template(template_id)
    studio.contact("w1")
    workflow_id = studio.publish(WELCOME_SERIES)

    studio.event("w1", "Signed Up")

    assert studio.ended(workflow_id, "w1", timeout=60) == "SUCCEEDED"
    sent = studio.subjects("w1")
    assert len(sent) == 5 and {"welcome-1", "welcome-2", "welcome-4", "welcome-5"} <= set(sent)
    assert len({"welcome-3a", "welcome-3b"} & set(sent)) == 1
    arn = execution(on_localstack, workflow_id, "w1")
    entered = on_localstack.states_entered(arn)
    assert entered == states_for_path(on_localstack.definition(arn))
    assert len(entered) == studio.ports.machines.transitions(arn) == 9


def test_one_from_many_sends_one_variant_of_the_tag_in_one_state(on_localstack: Bridged):
    studio = on_localstack.studio
    studio.template("spring-a", "spring")
    studio.template("spring-b", "spring")
    workflow_id = studio.publish(ONE_FROM_MANY)
    people = ["p1", "p2", "p3"]
    for person in people:
        studio.contact(person)

    for person in people:
        definitions.start_by_api(studio.ports, workflow_id, person, {}, f"r-{person}")

    for person in people:
        assert studio.ended(workflow_id, person) == "SUCCEEDED"
        (mail,) = studio.outbox(person)
        assert mail.message.template_id in ("spring-a", "spring-b")
        assert on_localstack.states_entered(execution(on_localstack, workflow_id, person)) == ["Run pick"]


def failing_first_run(error: Exception) -> Any:
    """``tasks.handle`` raising ``error`` on the first ``run`` only, then the real one."""
    real, raised = tasks.handle, []

    def handle(ports: Any, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("action") == "run" and not raised:
            raised.append(error)
            raise error
        return real(ports, event)

    return handle


def test_a_retryable_error_is_retried_by_name_within_the_same_state(
    on_localstack: Bridged, monkeypatch: pytest.MonkeyPatch
):
    studio = on_localstack.studio
    studio.template("spring-a", "spring")
    workflow_id = studio.publish(ONE_FROM_MANY)
    studio.contact("rita")
    monkeypatch.setattr(tasks, "handle", failing_first_run(Retryable("busy")))

    definitions.start_by_api(studio.ports, workflow_id, "rita", {}, "r-rita")

    assert studio.ended(workflow_id, "rita") == "SUCCEEDED"
    arn = execution(on_localstack, workflow_id, "rita")
    assert on_localstack.states_entered(arn) == ["Run pick"]
    outcomes = on_localstack.task_outcomes(arn)
    assert outcomes[0] == "Retryable" and outcomes[-1] == "succeeded"
    # LocalStack 4.9.2 gives a retried waitForTaskToken task the same token and replays the answer to the attempt
    # before, so one more attempt fails than on AWS and the task runs once more: the send ledger keeps it to one
    # message all the same
    assert set(outcomes[:-1]) == {"Retryable"}
    assert len(studio.outbox("rita")) == 1


def test_any_other_error_is_recorded_then_fails_the_execution(on_localstack: Bridged, monkeypatch: pytest.MonkeyPatch):
    studio = on_localstack.studio
    studio.template("spring-a", "spring")
    workflow_id = studio.publish(ONE_FROM_MANY)
    studio.contact("fay")
    monkeypatch.setattr(tasks, "handle", failing_first_run(RuntimeError("boom")))

    definitions.start_by_api(studio.ports, workflow_id, "fay", {}, "r-fay")

    assert studio.ended(workflow_id, "fay") == "FAILED"
    assert on_localstack.bridge.ran == ["run", "fail"]
    entered = on_localstack.states_entered(execution(on_localstack, workflow_id, "fay"))
    assert entered == ["Run pick", "Failed", "Failure"]
    assert studio.journey(workflow_id, "fay").status == "failed"
