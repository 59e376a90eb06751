"""The price-drop trigger end to end on moto's Step Functions (the studio: real queues, consumers, task code and send
path under accelerated time): a price drop reaches, as exactly one email showing the product, the contact who viewed
it, and no one who did not view it or has bought it since; a redelivered alert sends nothing twice."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.catalog.alerts import alert_for
from chalicelib.catalog.models import Product
from chalicelib.contacts import keys
from chalicelib.services import triggers
from chalicelib.services.catalog import upsert_product
from chalicelib.services.interest import alert_message, run_alert
from tests.workflows.studio import Studio

SENDER = "Shop <shop@example.com>"


def mug(price: str) -> Product:
    return Product(
        productId="p-mug",
        name="Mug",
        price=Decimal(price),
        currency="EUR",
        url="https://shop.example/p/mug",
        inStock=True,
    )


def test_a_price_drop_emails_the_viewer_once_and_no_one_else(studio: Studio):
    upsert_product(studio.ports, "p-mug", mug("12.50"))
    for person in ("ann", "bob", "cy"):
        studio.contact(person)
    params = {"sender": SENDER, "frequencyDays": None, "delay": {"hours": 1}}  # no reentry limit: ids must dedupe
    workflow_id = triggers.enable(studio.ports, "priceDrop", params).workflow.id
    studio.event("ann", "Product Viewed", product_id="p-mug")
    studio.event("bob", "Product Viewed", product_id="p-spoon")
    studio.event("cy", "Product Viewed", product_id="p-mug")
    studio.event("cy", "Order Completed", order_id="o-1", products=[{"product_id": "p-mug", "quantity": 1}])

    saved, _, changes = upsert_product(studio.ports, "p-mug", mug("9.90"))
    studio.drain()

    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    (mail,) = studio.outbox("ann")
    body = str(mail.message.content["html"])
    assert "Mug" in body and "9.90" in body
    assert studio.ports.journeys.journey(workflow_id, keys.known("bob")) is None
    assert studio.ports.journeys.journey(workflow_id, keys.known("cy")) is None  # bought it: not interested
    assert studio.outbox("bob") == [] and studio.outbox("cy") == []

    first = studio.journey(workflow_id, "ann").execution
    alert = alert_for(changes, saved.version)
    assert alert is not None
    run_alert(studio.ports, alert_message(alert))  # the same message handled again (the queue would dedupe a resend)
    studio.drain()
    assert studio.journey(workflow_id, "ann").execution == first
    assert len(studio.outbox("ann")) == 1


def test_a_wishlisted_product_back_in_stock_emails_the_contact(studio: Studio):
    sold_out = mug("12.50").model_copy(update={"inStock": False})
    upsert_product(studio.ports, "p-mug", sold_out)
    studio.contact("dee")
    workflow_id = triggers.enable(studio.ports, "backInStock", {"sender": SENDER, "delay": None}).workflow.id
    studio.event("dee", "Product Added to Wishlist", product_id="p-mug")
    upsert_product(studio.ports, "p-mug", mug("12.50"))
    studio.drain()
    assert studio.ended(workflow_id, "dee") == "SUCCEEDED"
    (mail,) = studio.outbox("dee")
    assert "Mug" in str(mail.message.content["html"])
