"""The abandoned-category trigger on the fakes: a category page viewed starts a journey that waits, then sends the
category's bestsellers; a cart meanwhile stops it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.catalog.models import Product
from chalicelib.recommendations.models import Scored
from chalicelib.services import triggers
from tests.unit.workflows.journeys_world import JourneyWorld

SENDER = {"sender": "Shop <shop@example.com>"}
VIEWED = "Product List Viewed"


@pytest.fixture
def world() -> JourneyWorld:
    w = JourneyWorld()
    now = w.ports.clock.now()
    for product_id, name in (("p-boot", "Boot"), ("p-hat", "Hat")):
        product = Product(productId=product_id, name=name, price=Decimal("20"), currency="EUR", inStock=True)
        w.ports.catalog.save(product, None, [], now)
    w.ports.recommendations.put("bestsellers", "cat:shoes", [Scored("p-boot", 1.0)], now.isoformat())
    w.ports.recommendations.put("bestsellers", "cat:hats", [Scored("p-hat", 1.0)], now.isoformat())
    w.contact("ann", email="ann@example.com", firstName="Ann")
    return w


def test_a_category_view_waits_then_sends_the_categorys_bestsellers(world: JourneyWorld):
    workflow_id = triggers.enable(world.ports, "abandonedCategory", SENDER | {"delay": {"hours": 3}}).workflow.id
    world.send(world.event("ann", VIEWED, category="shoes"))
    journey = world.journey(workflow_id, "ann")
    waited = world.run(journey, "wait")
    assert waited["seconds"] == 3 * 3600
    world.run(journey, "remind", waited)
    (mail,) = world.outbox("ann")
    html = str(mail.message.content["html"])
    assert "Boot" in html
    assert "Hat" not in html  # another category's bestseller


def test_a_view_without_a_category_starts_nothing(world: JourneyWorld):
    workflow_id = triggers.enable(world.ports, "abandonedCategory", SENDER).workflow.id
    world.send(world.event("ann", VIEWED))
    assert world.ports.journeys.journey(workflow_id, "x#ann") is None


def test_a_cart_meanwhile_stops_the_journey(world: JourneyWorld):
    workflow_id = triggers.enable(world.ports, "abandonedCategory", SENDER).workflow.id
    world.send(world.event("ann", VIEWED, category="shoes"))
    world.send(world.event("ann", "Cart Updated", cart_id="c-1", products=[{"product_id": "p-boot"}]))
    assert world.journey(workflow_id, "ann").status == "stopped"
    assert world.outbox("ann") == []
