"""The issue's three journeys, compiled and run for real on moto's Step Functions with the real task code: an
abandoned cart (wait for the purchase of the same cart, else remind; an order stops it), a welcome series with a
split, and a one-from-many campaign whose variant shares converge toward the better click rate."""

from __future__ import annotations

import copy

from chalicelib.contacts import keys
from chalicelib.services.messaging import events
from chalicelib.services.workflows import definitions
from tests.unit.workflows.examples import ABANDONED_CART, ONE_FROM_MANY, WELCOME_SERIES
from tests.workflows.studio import Studio


def cart(timeout_hours: int) -> dict:
    workflow = copy.deepcopy(ABANDONED_CART)
    workflow["settings"].pop("sendHours")  # the real clock may be outside them; send hours have their own tests
    workflow["blocks"]["wait-purchase"]["timeout"] = {"hours": timeout_hours}
    return workflow


def test_an_abandoned_cart_is_reminded_once_with_its_cart_after_the_timeout(studio: Studio):
    studio.template("abandoned-cart")
    studio.contact("ann")
    workflow_id = studio.publish(cart(timeout_hours=12))  # half a second at 86,400x
    studio.event("ann", "Cart Updated", cart_id="c-1")
    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    (mail,) = studio.outbox("ann")
    assert "(c-1)" in mail.message.content["subject"]
    journey = studio.journey(workflow_id, "ann")
    assert journey.status == "finished"
    assert journey.execution_arn is not None
    assert studio.ports.machines.transitions(journey.execution_arn) == 3  # Run, Await, Run remind


def test_an_order_for_the_cart_stops_the_journey_before_any_reminder(studio: Studio):
    studio.template("abandoned-cart")
    studio.contact("bob")
    workflow_id = studio.publish(cart(timeout_hours=24 * 30))  # 30 s: the order comes first
    studio.event("bob", "Cart Updated", cart_id="c-7")
    studio.wait_until(lambda: studio.ports.journeys.parked(keys.known("bob"), "Order Completed"), what="the park")
    studio.event("bob", "Order Completed", cart_id="c-7")
    assert studio.ended(workflow_id, "bob") == "SUCCEEDED"  # its parked task failed as stopped: the Stopped state
    assert studio.journey(workflow_id, "bob").status == "stopped"
    assert studio.outbox("bob") == []


def test_an_order_for_another_cart_does_not_resume_the_wait(studio: Studio):
    workflow = cart(timeout_hours=12)
    workflow["settings"]["stopWhen"] = []
    studio.template("abandoned-cart")
    studio.contact("cy")
    workflow_id = studio.publish(workflow)
    studio.event("cy", "Cart Updated", cart_id="c-1")
    studio.wait_until(lambda: studio.ports.journeys.parked(keys.known("cy"), "Order Completed"), what="the park")
    studio.event("cy", "Order Completed", cart_id="c-2")
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert len(studio.outbox("cy")) == 1  # timed out and reminded: the other cart's order did not count


def test_a_welcome_series_sends_five_messages_down_one_branch_of_the_split(studio: Studio):
    for template_id in ("welcome-1", "welcome-2", "welcome-3a", "welcome-3b", "welcome-4", "welcome-5"):
        studio.template(template_id)
    people = ["w1", "w2", "w3"]
    for person in people:
        studio.contact(person)
    workflow_id = studio.publish(WELCOME_SERIES)
    for person in people:
        studio.event(person, "Signed Up")
    for person in people:
        assert studio.ended(workflow_id, person, timeout=60) == "SUCCEEDED"
    for person in people:
        sent = studio.subjects(person)
        assert len(sent) == 5
        assert {"welcome-1", "welcome-2", "welcome-4", "welcome-5"} <= set(sent)  # never opened: nudged
        assert len({"welcome-3a", "welcome-3b"} & set(sent)) == 1
        arn = studio.journey(workflow_id, person).execution_arn
        assert arn is not None and studio.ports.machines.transitions(arn) == 9
    counts = studio.ports.journeys.counts(workflow_id).counts
    assert counts["split"].get("exit:branch1", 0) + counts["split"].get("exit:branch2", 0) == len(people)
    assert counts["opened"]["exit:no"] == len(people)


def test_one_from_many_shares_converge_toward_the_variant_people_click(studio: Studio):
    studio.template("spring-a", "spring")
    studio.template("spring-b", "spring")
    workflow_id = studio.publish(ONE_FROM_MANY)
    shares = []
    for batch in range(3):
        people = [f"p{batch}-{i}" for i in range(12)]
        for person in people:
            studio.contact(person)
        for person in people:
            definitions.start_by_api(studio.ports, workflow_id, person, {}, f"r-{person}")
        for person in people:
            assert studio.ended(workflow_id, person) == "SUCCEEDED"
        chosen = []
        for person in people:
            (mail,) = studio.outbox(person)
            chosen.append(mail.message.template_id)
            if mail.message.template_id == "spring-b":  # people click b, never a
                message = studio.ports.messages.message(mail.message.message_id)
                assert message is not None
                events.publish(studio.ports, message, events.CLICKED, message.created_at, act="click:0")
        studio.drain()
        shares.append(chosen.count("spring-b") / len(chosen))
    stats = studio.ports.journeys.variants(workflow_id, "pick")
    assert stats["spring-b"][1] == stats["spring-b"][0]  # every b send was clicked, and counted once
    assert shares[-1] >= 0.75 and shares[-1] >= shares[0]
