"""Behaviour triggers end to end: enabled through the triggers use case, run for real on moto's Step Functions with
the real task code and the real send path under accelerated time (a day of journey time is a second). The right
contacts get exactly one message with the right products; who bought, who unsubscribed from email and who was
reminded recently get none."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.contacts import keys
from chalicelib.recommendations.models import Scored
from chalicelib.services import triggers
from chalicelib.services.messaging.consent import set_consent
from tests.workflows.studio import Studio

SENDER = "Shop <shop@example.com>"


def stock(studio: Studio, *names: str) -> None:
    """Products in the catalog (``p-<name>``, called ``<name>``), and ``p-kettle`` bought together with
    ``p-mug``."""
    now = studio.ports.clock.now()
    for name in names:
        product = Product(
            productId=f"p-{name}",
            name=name.title(),
            price=Decimal("12.50"),
            currency="EUR",
            url=f"https://shop.example/p/{name}",
            inStock=True,
        )
        studio.ports.catalog.save(product, None, [], now)
    studio.ports.recommendations.put("boughtTogether", "p-mug", [Scored("p-kettle", 1.0)], "2026-11-27T00:00:00Z")


def cart(*names: str) -> list[dict[str, Any]]:
    return [{"product_id": f"p-{name}", "quantity": 1} for name in names]


def html(studio: Studio, external_id: str) -> str:
    (mail,) = studio.outbox(external_id)
    return str(mail.message.content["html"])


def test_abandoned_carts_are_reminded_once_with_their_products(studio: Studio):
    stock(studio, "mug", "spoon", "kettle", "teapot")
    for person in ("ann", "bob", "cy", "dee"):
        studio.contact(person)
    set_consent(studio.ports, keys.known("cy"), "email", "unsubscribed", "test")
    enabled = triggers.enable(studio.ports, "abandonedCart", {"sender": SENDER, "delay": {"days": 4}})
    workflow_id = enabled.workflow.id

    studio.event("ann", "Cart Updated", cart_id="c-ann", products=cart("mug", "spoon"))
    studio.event("bob", "Cart Updated", cart_id="c-bob", products=cart("teapot"))
    studio.event("cy", "Cart Updated", cart_id="c-cy", products=cart("mug"))
    studio.event("dee", "Cart Updated", cart_id="c-dee", products=[])  # an emptied cart starts nothing
    studio.wait_until(lambda: studio.ports.journeys.parked(keys.known("bob"), "Order Completed"), what="the park")
    studio.event("bob", "Order Completed", cart_id="c-bob", products=cart("teapot"))

    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert studio.ended(workflow_id, "bob") == "SUCCEEDED"
    body = html(studio, "ann")
    assert "Mug" in body and "Spoon" in body  # the cart
    assert "Kettle" in body  # bought together with the mug
    assert "Teapot" not in body
    assert studio.journey(workflow_id, "bob").status == "stopped"
    assert studio.outbox("bob") == []
    assert studio.outbox("cy") == []  # unsubscribed: the message failed on consent
    assert studio.ports.journeys.journey(workflow_id, keys.known("dee")) is None


def test_a_shopper_reminded_recently_is_not_reminded_again(studio: Studio):
    stock(studio, "mug")
    studio.contact("eve")
    workflow_id = triggers.enable(studio.ports, "abandonedCart", {"sender": SENDER, "delay": {"hours": 12}}).workflow.id
    studio.event("eve", "Cart Updated", cart_id="c-1", products=cart("mug"))
    assert studio.ended(workflow_id, "eve") == "SUCCEEDED"
    first = studio.journey(workflow_id, "eve").execution
    studio.event("eve", "Cart Updated", cart_id="c-2", products=cart("mug"))  # within the 7 days
    assert studio.journey(workflow_id, "eve").execution == first
    assert len(studio.outbox("eve")) == 1


def test_an_abandoned_browse_is_sent_unless_the_shopper_carts(studio: Studio):
    stock(studio, "mug", "spoon")
    for person in ("fay", "gus"):
        studio.contact(person)
    enabled = triggers.enable(studio.ports, "abandonedBrowse", {"sender": SENDER, "delay": {"days": 4}})
    workflow_id = enabled.workflow.id
    studio.event("fay", "Product Viewed", product_id="p-spoon")
    studio.event("gus", "Product Viewed", product_id="p-mug")
    arn = studio.journey(workflow_id, "gus").execution_arn
    assert arn is not None
    machines = studio.ports.machines  # moto stops an execution cleanly only between tasks: wait for the Wait state
    studio.wait_until(lambda: machines.transitions(arn) >= 2, what="gus's journey reaching its wait")
    studio.event("gus", "Cart Updated", cart_id="c-gus", products=cart("mug"))  # carted: stopped
    assert studio.ended(workflow_id, "fay") == "SUCCEEDED"
    assert studio.ended(workflow_id, "gus") in ("SUCCEEDED", "ABORTED")
    assert "Spoon" in html(studio, "fay")
    assert studio.journey(workflow_id, "gus").status == "stopped"
    assert studio.outbox("gus") == []


def test_a_post_purchase_cross_sell_shows_what_goes_with_the_order(studio: Studio):
    stock(studio, "mug", "kettle")
    studio.contact("hal")
    enabled = triggers.enable(studio.ports, "postPurchase", {"sender": SENDER, "delay": {"hours": 12}})
    studio.event("hal", "Order Completed", order_id="o-1", products=cart("mug"))
    assert studio.ended(enabled.workflow.id, "hal") == "SUCCEEDED"
    body = html(studio, "hal")
    assert "Mug" in body and "Kettle" in body
