from datetime import UTC, datetime

from chalicelib.events.models import Event, Identity
from chalicelib.recommendations.interactions import Interaction, from_event, from_events

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _event(type_: str, properties: dict[str, object], **identity: str) -> Event:
    return Event(
        eventId="e1",
        type=type_,
        identity=Identity(**(identity or {"externalId": "c1"})),
        timestamp=AT,
        receivedAt=AT,
        properties=properties,
    )


def test_a_product_view_is_a_view_of_that_product():
    found = from_event(_event("Product Viewed", {"product_id": "sku-1", "price": 9}))
    assert found == [Interaction("x#c1", "sku-1", "view", AT)]


def test_every_cart_line_is_a_cart_interaction_with_its_quantity():
    props = {"cart_id": "g", "products": [{"product_id": "a", "quantity": 2}, {"product_id": "b"}]}
    found = from_event(_event("Cart Updated", props))
    assert [(i.product_id, i.kind, i.quantity) for i in found] == [("a", "cart", 2), ("b", "cart", 1)]


def test_every_order_line_is_a_purchase():
    props = {"order_id": "o1", "products": [{"product_id": "a", "quantity": 3}, {"sku": "b", "quantity": 1}]}
    found = from_event(_event("Order Completed", props))
    assert [(i.product_id, i.kind, i.quantity) for i in found] == [("a", "purchase", 3), ("b", "purchase", 1)]


def test_lines_without_a_product_or_quantity_are_left_out():
    props = {"products": [{"product_id": "a", "quantity": 0}, {"price": 3}, "junk", {"product_id": "c"}]}
    assert [i.product_id for i in from_event(_event("Cart Updated", props))] == ["c"]


def test_events_about_no_product_have_no_interactions():
    assert from_event(_event("Page Viewed", {"path": "/"})) == []
    assert from_event(_event("Order Completed", {"order_id": "o1"})) == []


def test_the_contact_key_is_the_strongest_identifier_unless_given():
    anonymous = _event("Product Viewed", {"product_id": "a"}, anonymousId="v1", email="a@example.com")
    assert from_event(anonymous)[0].contact_key == "a#v1"
    assert from_event(anonymous, contact_key="x#known")[0].contact_key == "x#known"


def test_an_order_delivered_through_the_orders_api_is_a_purchase_of_each_item():
    props = {"externalOrderId": "api-1", "items": [{"externalItemId": "kettle", "quantity": 2}]}
    (found,) = from_event(_event("orderDELIVERED", props))
    assert (found.product_id, found.kind, found.quantity) == ("kettle", "purchase", 2)


def test_a_web_order_and_the_delivered_order_it_became_count_once():
    web = _event("Order Completed", {"order_id": "o1", "products": [{"product_id": "a", "quantity": 1}]})
    delivered = _event("orderDELIVERED", {"externalOrderId": "o1", "items": [{"externalItemId": "a", "quantity": 1}]})
    other = _event("orderDELIVERED", {"externalOrderId": "api-2", "items": [{"externalItemId": "b", "quantity": 1}]})
    assert [(i.product_id, i.kind) for i in from_events([web, delivered, other])] == [
        ("a", "purchase"),
        ("b", "purchase"),
    ]
