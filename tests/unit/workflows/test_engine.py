"""The task function on in-memory ports: what a stretch does, once, however often Step Functions retries it."""

from __future__ import annotations

import pytest

from chalicelib.services.workflows.scope import BlockFailed, JourneyStopped
from tests.unit.workflows.examples import ABANDONED_CART
from tests.unit.workflows.journeys_world import JourneyWorld


@pytest.fixture
def world() -> JourneyWorld:
    w = JourneyWorld()
    w.template("abandoned-cart")
    w.contact("ann", email="ann@example.com", firstName="Ann")
    return w


def cart_journey(world: JourneyWorld) -> tuple[str, object]:
    workflow_id = world.publish(ABANDONED_CART)
    world.send(world.event("ann", "Cart Updated", cart_id="c-1"))
    return workflow_id, world.journey(workflow_id, "ann")


def test_a_trigger_event_starts_one_journey_named_by_the_event(world):
    workflow_id, journey = cart_journey(world)
    assert journey.status == "running"
    assert [e.name for e in world.machines.executions.values()] == [journey.execution]
    assert world.input_of(journey)["journey"]["trigger"]["properties"] == {"cart_id": "c-1"}


def test_the_same_event_delivered_again_starts_nothing_more(world):
    workflow_id, journey = cart_journey(world)
    event = world.event("ann", "Cart Updated", cart_id="c-2")
    world.send(event)
    world.send(event, redelivered=True)
    assert len(world.machines.executions) == 1  # the second cart is refused by re-entry (once per 7 days)


def test_an_event_failing_the_trigger_filter_starts_nothing(world):
    world.publish(ABANDONED_CART)
    world.send(world.event("ann", "Cart Updated"))
    assert world.machines.executions == {}


def test_the_first_stretch_stops_at_the_wait_with_its_scaled_timeout(world):
    _, journey = cart_journey(world)
    answer = world.run(journey, "wait-purchase")
    assert answer["at"] == "wait-purchase" and answer["seconds"] == 3600 and answer["seq"] == 1


def test_the_timeout_branch_sends_the_reminder_with_the_carts_id_and_ends(world):
    _, journey = cart_journey(world)
    first = world.run(journey, "wait-purchase")
    world.run(journey, "remind", first | {"timedOut": {"Error": "States.Timeout"}})
    (mail,) = world.outbox("ann")
    assert "(c-1)" in mail.message.content["subject"]
    assert world.journey(journey.workflow_id, "ann").status == "finished"


def test_a_retried_run_sends_once_and_counts_once(world):
    workflow_id, journey = cart_journey(world)
    first = world.run(journey, "wait-purchase")
    step = first | {"timedOut": {"Error": "States.Timeout"}}
    world.run(journey, "remind", step)
    world.run(journey, "remind", step)  # Step Functions retried the task
    assert len(world.outbox("ann")) == 1
    counts = world.ports.journeys.counts(workflow_id).counts
    assert counts["remind"]["entered"] == 1 and counts["wait-purchase"]["exit:timeout"] == 1


def test_the_park_is_resumed_by_the_same_carts_order_only(world):
    workflow = {**ABANDONED_CART, "settings": {"reentry": {"mode": "every"}}}
    workflow_id = world.publish(workflow)
    world.send(world.event("ann", "Cart Updated", cart_id="c-1"))
    journey = world.journey(workflow_id, "ann")
    first = world.run(journey, "wait-purchase")
    world.park(journey, "wait-purchase", first, "token-1")
    world.send(world.event("ann", "Order Completed", cart_id="c-other"))
    assert world.machines.resumed == []
    world.send(world.event("ann", "Order Completed", cart_id="c-1"))
    assert [token for token, _ in world.machines.resumed] == ["token-1"]


def test_a_stop_rule_met_while_parked_fails_the_parked_task_as_stopped(world):
    _, journey = cart_journey(world)
    first = world.run(journey, "wait-purchase")
    world.park(journey, "wait-purchase", first, "token-1")
    world.send(world.event("ann", "Order Completed", cart_id="c-1"))
    assert world.machines.failed_tasks == [("token-1", "JourneyStopped")]
    assert world.machines.resumed == []
    assert world.journey(journey.workflow_id, "ann").status == "stopped"


def test_a_stop_rule_met_ends_the_journey_and_its_execution(world):
    _, journey = cart_journey(world)
    world.send(world.event("ann", "Order Completed", cart_id="c-9"))
    stored = world.journey(journey.workflow_id, "ann")
    assert stored.status == "stopped"
    assert world.machines.executions[stored.execution_arn].status == "ABORTED"


def test_a_stop_rule_met_before_a_run_stops_it_there(world):
    _, journey = cart_journey(world)
    first = world.run(journey, "wait-purchase")
    world.ports.events.insert("x#ann", world.event("ann", "Order Completed"))  # logged; the listener not involved
    with pytest.raises(JourneyStopped):
        world.run(journey, "remind", first | {"timedOut": {}})
    assert world.outbox("ann") == []


def test_a_missing_template_fails_the_block_with_its_reason(world):
    cart = {**ABANDONED_CART, "blocks": {**ABANDONED_CART["blocks"]}}
    cart["blocks"]["remind"] = {**cart["blocks"]["remind"], "template": "nope"}
    world.publish(cart)
    world.send(world.event("ann", "Cart Updated", cart_id="c-1"))
    journey = world.journey(world.ports.workflows.workflows()[0].id, "ann")
    first = world.run(journey, "wait-purchase")
    with pytest.raises(BlockFailed, match="nope"):
        world.run(journey, "remind", first | {"timedOut": {}})


def test_a_trigger_replayed_after_a_newer_journey_leaves_no_journey_running(world):
    workflow = {**ABANDONED_CART, "settings": {"reentry": {"mode": "every"}}}
    workflow_id = world.publish(workflow)
    first = world.event("ann", "Cart Updated", cart_id="c-1")
    world.send(first)
    old = world.journey(workflow_id, "ann")
    world.machines.finish(old.execution_arn)
    world.ports.journeys.end(workflow_id, "x#ann", old.execution, "finished", "2026-11-27T12:00:00.000Z")
    world.send(world.event("ann", "Cart Updated", cart_id="c-2"))
    newer = world.journey(workflow_id, "ann")
    world.machines.finish(newer.execution_arn)
    world.ports.journeys.end(workflow_id, "x#ann", newer.execution, "finished", "2026-11-27T12:00:00.000Z")
    world.send(first, redelivered=True)  # the first event again: Step Functions knows its execution name
    assert world.journey(workflow_id, "ann").status != "running"
    assert len(world.machines.executions) == 2
