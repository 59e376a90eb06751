"""Triggers that answer a customer's order history, end to end on moto's Step Functions (see test_triggers.py):
orders dated in the past go in through the orders ingest path, and the real clock decides who is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.contacts import keys
from chalicelib.services import reorder, triggers
from chalicelib.services.ingest import accept_orders
from tests.workflows.studio import Studio
from tests.workflows.test_triggers import SENDER, html, stock


def orders(studio: Studio, who: str, *days_ago: float, product: str = "p-coffee") -> None:
    """Delivered orders of ``product`` placed the given days before now."""
    now = studio.ports.clock.now()
    placed: list[dict[str, Any]] = [
        {
            "externalOrderId": f"o-{who}-{i}",
            "externalId": who,
            "status": "DELIVERED",
            "date": (now - timedelta(days=ago)).isoformat(),
            "totalCost": "12.50",
            "currency": "EUR",
            "items": [{"externalItemId": product, "quantity": 1}],
        }
        for i, ago in enumerate(days_ago)
    ]
    accept_orders(studio.ports, placed)
    studio.drain()


def test_a_regular_buyer_is_reminded_once_with_the_product_and_one_who_just_bought_is_not(studio: Studio):
    stock(studio, "coffee", "mug")
    for person in ("ann", "bob"):
        studio.contact(person)
    workflow_id = triggers.enable(studio.ports, "regularDemand", {"sender": SENDER}).workflow.id
    orders(studio, "ann", 62, 41, 20)  # coffee every 21 days: due tomorrow
    orders(studio, "bob", 43, 22, 1)  # the same rhythm, and bought yesterday

    assert reorder.scan(studio.ports, parts=2).due == 1
    studio.drain()
    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    reorder.scan(studio.ports, parts=2)  # the job runs again the same day
    studio.drain()

    (mail,) = studio.outbox("ann")
    assert "Coffee" in html(studio, "ann")
    assert mail.message.template_id == "trigger-regular-demand"
    assert studio.ports.journeys.journey(workflow_id, keys.known("bob")) is None
    assert studio.outbox("bob") == []


def test_an_inactive_customer_is_reactivated_once_and_a_recent_one_is_not(studio: Studio):
    stock(studio, "mug")
    for person in ("cy", "dee"):
        studio.contact(person)
    enabled = triggers.enable(studio.ports, "reactivation", {"sender": SENDER, "inactiveDays": 30})
    (segment_id,) = enabled.segment_ids
    studio.drain()  # the segment's first computation (nobody in it yet)

    orders(studio, "cy", 31, product="p-mug")  # the only order, 31 days ago: enters trigger-inactive-30d
    orders(studio, "dee", 1, product="p-mug")

    assert segment_id == "trigger-inactive-30d"
    assert studio.ended(enabled.workflow.id, "cy") == "SUCCEEDED"
    assert len(studio.outbox("cy")) == 1
    assert studio.ports.journeys.journey(enabled.workflow.id, keys.known("dee")) is None
    assert studio.outbox("dee") == []
