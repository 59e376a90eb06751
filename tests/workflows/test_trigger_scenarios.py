"""Scenario tests of every behaviour trigger on the local runtime (moto's Step Functions, the real queues, consumer,
task code and send path, a day of journey time a second: see ``studio.py``) that the other trigger tests leave out,
so that with them each trigger shows: the right contact gets exactly one message with the right products, and who
bought, who unsubscribed from email and who was reminded recently (a second start within ``frequencyDays``) get none.

Coverage (file: ``T`` test_triggers.py, ``O`` test_triggers_orders.py, ``A`` test_product_alerts.py, ``S`` this one):

=================  ==================  =======================  ================  ==================
trigger            right contact,      who bought               who unsubscribed  who was reminded
                   one message, the    gets none                gets none         recently gets none
                   right products
=================  ==================  =======================  ================  ==================
abandonedCart      T                   T (ordered the cart)     T                 T
abandonedBrowse    T                   T (carted), S (ordered)  S                 S
abandonedCategory  S (bestsellers of   S (ordered meanwhile)    S                 S
                   the category, then
                   personal)
abandonedSearch    S (personal picks;  S (ordered meanwhile)    S                 S
                   a search with
                   results starts
                   nothing)
priceDrop          A                   A (bought the product)   S                 S (a second drop)
backInStock        A                   S (bought the product)   S                 S (a second return)
regularDemand      O                   O (bought yesterday)     S                 O (scan again)
reactivation       O, S (the products  O (ordered recently)     S                 not tested (see
                   shown)                                                         below)
postPurchase       T                   n/a (an order is the     S                 S (a second order)
                                       trigger)
=================  ==================  =======================  ================  ==================

Not tested: reactivation's "reminded recently". The contact would have to leave the inactive segment and come
back into it within ``frequencyDays``, which needs ``inactiveDays`` of real clock time between orders. The once-per
rule it relies on is the same one the other "reminded recently" tests check.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.contacts import keys
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.services import reorder, triggers
from chalicelib.services.catalog import upsert_product
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.recommendations.build import rebuild
from tests.workflows.studio import Studio
from tests.workflows.test_triggers import SENDER, cart, stock
from tests.workflows.test_triggers_orders import orders

LONG = {"days": 3}  # long enough to order or cart during the wait
SHORT = {"hours": 1}


def product(name: str, category: str, price: str = "12.50", *, in_stock: bool = True) -> Product:
    return Product(
        productId=f"p-{name}",
        name=name.title(),
        price=Decimal(price),
        currency="EUR",
        url=f"https://shop.example/p/{name}",
        categoryPath=[category],
        inStock=in_stock,
    )


def body(studio: Studio, external_id: str) -> str:
    """The html of the contact's one message (fails when there are none or several)."""
    mails = studio.outbox(external_id)
    assert len(mails) == 1, f"{external_id} got {len(mails)} messages"
    return str(mails[0].message.content["html"])


def recommended(html: str, *names: str) -> list[str]:
    """The given product names in the order the email shows them (those it does not show left out)."""
    block = html.split("You may also like", 1)[1] if "You may also like" in html else ""
    return sorted((name for name in names if name in block), key=block.index)


def unsubscribe(studio: Studio, external_id: str) -> None:
    set_consent(studio.ports, keys.known(external_id), "email", "unsubscribed", "test")


def enable(studio: Studio, trigger_id: str, **params: Any) -> str:
    return triggers.enable(studio.ports, trigger_id, {"sender": SENDER, **params}).workflow.id


def stopped_while_waiting(studio: Studio, workflow_id: str, external_id: str, type_: str, **properties: Any) -> None:
    """Send the event once the contact's journey is in its wait (moto stops an execution cleanly only between
    tasks), and check the journey stopped without a message."""
    arn = studio.journey(workflow_id, external_id).execution_arn
    assert arn is not None
    machines = studio.ports.machines
    studio.wait_until(lambda: machines.transitions(arn) >= 2, what=f"{external_id}'s journey reaching its wait")
    studio.event(external_id, type_, **properties)
    assert studio.ended(workflow_id, external_id) in ("SUCCEEDED", "ABORTED")
    assert studio.journey(workflow_id, external_id).status == "stopped"
    assert studio.outbox(external_id) == []


def reminded_once(studio: Studio, workflow_id: str, external_id: str, again: Any) -> None:
    """After the contact's journey sent its message, ``again()`` (a second start within the frequency) starts no
    journey and sends nothing."""
    assert studio.ended(workflow_id, external_id) == "SUCCEEDED"
    first = studio.journey(workflow_id, external_id).execution
    again()
    studio.drain()
    assert studio.journey(workflow_id, external_id).execution == first
    assert len(studio.outbox(external_id)) == 1


# abandoned browse


def test_an_abandoned_browse_is_not_sent_to_who_ordered_or_unsubscribed(studio: Studio):
    stock(studio, "mug", "spoon")
    for person in ("ann", "bob", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "abandonedBrowse", delay=LONG)
    for person in ("ann", "bob", "cy"):
        studio.event(person, "Product Viewed", product_id="p-spoon")
    stopped_while_waiting(studio, workflow_id, "bob", "Order Completed", order_id="o-1", products=cart("mug"))
    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert "Spoon" in body(studio, "ann")
    assert studio.outbox("cy") == []


def test_an_abandoned_browse_is_sent_once_within_the_frequency(studio: Studio):
    stock(studio, "mug", "spoon")
    studio.contact("dee")
    workflow_id = enable(studio, "abandonedBrowse", delay=SHORT)
    studio.event("dee", "Product Viewed", product_id="p-spoon")
    reminded_once(studio, workflow_id, "dee", lambda: studio.event("dee", "Product Viewed", product_id="p-mug"))
    assert "Spoon" in body(studio, "dee")


# abandoned category


def category_shop(studio: Studio) -> None:
    """Kitchen: kettle (bought 3 times), teapot (once), mug (never); Garden: spade (5 times), the overall
    bestseller; the recommendation lists rebuilt from those orders."""
    for name, category in (("kettle", "Kitchen"), ("teapot", "Kitchen"), ("mug", "Kitchen"), ("spade", "Garden")):
        upsert_product(studio.ports, f"p-{name}", product(name, category))
    studio.contact("zed")
    lines = [("kettle", 3), ("teapot", 1), ("spade", 5)]
    products = [{"product_id": f"p-{name}", "quantity": n} for name, n in lines]
    studio.event("zed", "Order Completed", order_id="o-zed", products=products)
    rebuild(studio.ports, parts=2)


def test_an_abandoned_category_shows_its_bestsellers_then_personal_ones_to_the_right_contacts(studio: Studio):
    category_shop(studio)
    for person in ("ann", "bob", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "abandonedCategory", delay=LONG)
    for person in ("ann", "bob", "cy"):
        studio.event(person, "Product List Viewed", category="Kitchen")
    stopped_while_waiting(studio, workflow_id, "bob", "Order Completed", order_id="o-1", products=cart("mug"))
    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    html = body(studio, "ann")
    # the category's bestsellers first, best first, then the overall bestsellers (ann has no history); the mug
    # nobody bought is not shown
    assert recommended(html, "Kettle", "Teapot", "Spade", "Mug") == ["Kettle", "Teapot", "Spade"]
    assert studio.outbox("cy") == []


def test_an_abandoned_category_is_sent_once_within_the_frequency(studio: Studio):
    category_shop(studio)
    studio.contact("dee")
    workflow_id = enable(studio, "abandonedCategory", delay=SHORT)
    studio.event("dee", "Product List Viewed", category="Kitchen")
    reminded_once(studio, workflow_id, "dee", lambda: studio.event("dee", "Product List Viewed", category="Garden"))
    assert recommended(body(studio, "dee"), "Kettle", "Spade")[0] == "Kettle"


# abandoned search


def search_shop(studio: Studio) -> None:
    """Mug and kettle viewed together by zed, who bought the spade (the bestseller); lists rebuilt. The mug costs
    far less than the others, so content similarity does not relate it to them."""
    for name, price in (("mug", "3.00"), ("kettle", "90.00"), ("spade", "250.00")):
        upsert_product(
            studio.ports,
            f"p-{name}",
            product(name, "Misc", price).model_copy(update={"categoryPath": []}),
        )
    studio.contact("zed")
    studio.event("zed", "Product Viewed", product_id="p-mug")
    studio.event("zed", "Product Viewed", product_id="p-kettle")
    studio.event("zed", "Order Completed", order_id="o-zed", products=cart("spade"))


def searched(studio: Studio, external_id: str, found: bool = False) -> None:
    studio.event(external_id, "Products Searched", query="blue teapot", found=found)


def test_an_abandoned_search_answers_with_personal_picks_to_the_right_contacts(studio: Studio):
    search_shop(studio)
    for person in ("ann", "bob", "cy", "eve"):
        studio.contact(person)
    studio.event("ann", "Product Viewed", product_id="p-mug")  # ann's history: the kettle goes with it
    rebuild(studio.ports, parts=2)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "abandonedSearch", delay=LONG)
    for person in ("ann", "bob", "cy"):
        searched(studio, person)
    searched(studio, "eve", found=True)  # it found something: no journey
    stopped_while_waiting(studio, workflow_id, "bob", "Order Completed", order_id="o-1", products=cart("mug"))
    assert studio.ended(workflow_id, "ann") == "SUCCEEDED"
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    html = body(studio, "ann")
    # the kettle, viewed together with the mug ann viewed, before the bestseller that tops the list up
    assert recommended(html, "Kettle", "Spade") == ["Kettle", "Spade"]
    assert studio.outbox("cy") == []
    assert studio.ports.journeys.journey(workflow_id, keys.known("eve")) is None
    assert studio.outbox("eve") == []


def test_an_abandoned_search_is_sent_once_within_the_frequency(studio: Studio):
    search_shop(studio)
    rebuild(studio.ports, parts=2)
    studio.contact("dee")
    workflow_id = enable(studio, "abandonedSearch", delay=SHORT)
    searched(studio, "dee")
    reminded_once(studio, workflow_id, "dee", lambda: searched(studio, "dee"))
    assert recommended(body(studio, "dee"), "Spade")  # no history: the bestsellers


# price drop and back in stock


def test_a_price_drop_reaches_no_unsubscribed_contact_and_a_second_drop_sends_nothing(studio: Studio):
    upsert_product(studio.ports, "p-mug", product("mug", "Kitchen", "12.50"))
    for person in ("ann", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "priceDrop", delay=SHORT)
    studio.event("ann", "Product Viewed", product_id="p-mug")
    studio.event("cy", "Product Viewed", product_id="p-mug")
    upsert_product(studio.ports, "p-mug", product("mug", "Kitchen", "9.90"))
    studio.drain()
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert studio.outbox("cy") == []

    def drop_again() -> None:
        upsert_product(studio.ports, "p-mug", product("mug", "Kitchen", "8.00"))

    reminded_once(studio, workflow_id, "ann", drop_again)
    assert "9.90" in body(studio, "ann")


def test_back_in_stock_skips_who_bought_or_unsubscribed_and_a_second_return_sends_nothing(studio: Studio):
    upsert_product(studio.ports, "p-mug", product("mug", "Kitchen", in_stock=False))
    for person in ("ann", "bob", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "backInStock", delay=None)
    for person in ("ann", "bob", "cy"):
        studio.event(person, "Product Added to Wishlist", product_id="p-mug")
    studio.event("bob", "Order Completed", order_id="o-bob", products=cart("mug"))  # bought it elsewhere in the shop
    upsert_product(studio.ports, "p-mug", product("mug", "Kitchen"))
    studio.drain()
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert studio.outbox("cy") == []
    assert studio.ports.journeys.journey(workflow_id, keys.known("bob")) is None
    assert studio.outbox("bob") == []

    def back_again() -> None:
        upsert_product(studio.ports, "p-mug", product("mug", "Kitchen", in_stock=False))
        upsert_product(studio.ports, "p-mug", product("mug", "Kitchen"))

    reminded_once(studio, workflow_id, "ann", back_again)
    assert "Mug" in body(studio, "ann")


# orders: regular demand, reactivation, post-purchase


def test_a_regular_buyer_who_unsubscribed_is_not_reminded(studio: Studio):
    stock(studio, "coffee")
    studio.contact("cy")
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "regularDemand")
    orders(studio, "cy", 62, 41, 20)  # due tomorrow
    assert reorder.scan(studio.ports, parts=2).due == 1
    studio.drain()
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert studio.outbox("cy") == []


def tracked_order(studio: Studio, external_id: str, product_id: str, days_ago: float) -> None:
    """The ``Order Completed`` event a tracking shop sent for an order placed ``days_ago`` (it counts as an order for
    segments; the recommendations learn purchases from these events, not from ``/v1/orders``)."""
    at = studio.ports.clock.now() - timedelta(days=days_ago)
    event = Event(
        eventId=f"ev-order-{external_id}",
        type="Order Completed",
        identity=Identity(externalId=external_id),
        timestamp=at,
        receivedAt=at,
        properties={"order_id": f"o-{external_id}", "products": [{"product_id": product_id, "quantity": 1}]},
    )
    studio.ports.publisher.publish([EventMsg(event=event)])
    studio.drain()


def test_a_reactivation_shows_what_goes_with_past_orders_and_skips_the_unsubscribed(studio: Studio):
    stock(studio, "mug", "kettle")  # the kettle is bought together with the mug
    for person in ("ann", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    enabled = triggers.enable(studio.ports, "reactivation", {"sender": SENDER, "inactiveDays": 30})
    studio.drain()
    for person in ("ann", "cy"):
        tracked_order(studio, person, "p-mug", days_ago=31)  # the only order: enters trigger-inactive-30d
    assert studio.ended(enabled.workflow.id, "ann") == "SUCCEEDED"
    assert studio.ended(enabled.workflow.id, "cy") == "SUCCEEDED"
    html = body(studio, "ann")
    assert recommended(html, "Kettle", "Mug") == ["Kettle"]  # not the mug ann already bought
    assert studio.outbox("cy") == []


def test_a_post_purchase_cross_sell_skips_the_unsubscribed_and_is_sent_once_within_the_frequency(studio: Studio):
    stock(studio, "mug", "kettle")
    for person in ("ann", "cy"):
        studio.contact(person)
    unsubscribe(studio, "cy")
    workflow_id = enable(studio, "postPurchase", delay=SHORT)
    studio.event("ann", "Order Completed", order_id="o-1", products=cart("mug"))
    studio.event("cy", "Order Completed", order_id="o-2", products=cart("mug"))
    assert studio.ended(workflow_id, "cy") == "SUCCEEDED"
    assert studio.outbox("cy") == []

    def order_again() -> None:
        studio.event("ann", "Order Completed", order_id="o-3", products=cart("kettle"))

    reminded_once(studio, workflow_id, "ann", order_again)
    assert recommended(body(studio, "ann"), "Kettle") == ["Kettle"]
