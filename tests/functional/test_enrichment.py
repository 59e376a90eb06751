"""Events that name catalog products are enriched in the consumer: the contact card shows catalog data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.events.models import Event, Identity
from chalicelib.services import catalog as service
from chalicelib.storage.items import METER
from tests.conftest import NOW

BOOTS = {
    "name": "Leather Chelsea Boots",
    "url": "https://shop.example/p/boots",
    "image": "https://cdn.shop.example/boots.jpg",
    "price": "149.00",
    "currency": "USD",
    "categoryPath": ["Shoes", "Boots"],
    "inStock": True,
}
TOTE = {"name": "Everyday Tote", "price": "65", "currency": "USD", "url": "https://shop.example/p/tote"}


def send(api: Any, *events: dict[str, Any]) -> None:
    status, body = api.json("POST", "/v1/events", {"events": list(events)})
    assert status == 202 and not body["rejected"], body
    api.drain()


def card(api: Any, external_id: str) -> dict[str, Any]:
    status, body = api.json("GET", f"/v1/contacts/{external_id}")
    assert status == 200, body
    aggregates: dict[str, Any] = body["aggregates"]
    return aggregates


def test_product_viewed_shows_catalog_name_on_recently_viewed(api):
    assert api.json("PUT", "/v1/products/sku-boots", BOOTS)[0] == 201
    send(api, {"type": "Product Viewed", "externalId": "u-1", "properties": {"product_id": "sku-boots"}})
    viewed = card(api, "u-1")["recentlyViewed"]
    assert len(viewed) == 1
    entry = viewed[0]
    assert entry["productId"] == "sku-boots"
    assert entry["name"] == "Leather Chelsea Boots"
    assert entry["price"] == 149 and entry["currency"] == "USD"
    assert entry["url"] == BOOTS["url"] and entry["image"] == BOOTS["image"]
    # the stored event carries the catalog fields too
    _, page = api.json("GET", "/v1/contacts/u-1/activity")
    props = next(e["properties"] for e in page["events"] if e["type"] == "Product Viewed")
    assert props["category"] == "Shoes > Boots" and props["in_stock"] is True


def test_the_price_the_visitor_saw_is_kept_and_descriptions_come_from_the_catalog(api):
    api.json("PUT", "/v1/products/sku-boots", BOOTS)
    send(
        api,
        {
            "type": "Product Viewed",
            "externalId": "u-1",
            "properties": {"product_id": "sku-boots", "name": "Boots (sale)", "price": 99},
        },
    )
    entry = card(api, "u-1")["recentlyViewed"][0]
    assert (entry["name"], entry["price"], entry["url"]) == (BOOTS["name"], 99, BOOTS["url"])
    assert entry["currentPrice"] == float(BOOTS["price"])


def test_cart_and_wishlist_items_get_names_and_prices(api):
    api.json("PUT", "/v1/products/sku-boots", BOOTS)
    api.json("PUT", "/v1/products/sku-tote", TOTE)
    send(
        api,
        {
            "type": "Cart Updated",
            "externalId": "u-1",
            "properties": {
                "cart_id": "c-1",
                "products": [{"product_id": "sku-boots", "quantity": 2}, {"product_id": "sku-unknown"}],
            },
        },
        {"type": "Product Added to Wishlist", "externalId": "u-1", "properties": {"product_id": "sku-tote"}},
    )
    aggs = card(api, "u-1")
    items = aggs["cart"]["items"]
    assert items[0] == {
        "productId": "sku-boots",
        "quantity": 2,
        "name": "Leather Chelsea Boots",
        "price": 149,
        "currency": "USD",
        "url": BOOTS["url"],
    }
    assert items[1] == {"productId": "sku-unknown", "quantity": 1}, "unknown products are left as sent"
    assert aggs["wishlist"][0]["name"] == "Everyday Tote"


def test_order_items_without_prices_are_priced_from_the_catalog(api):
    api.json("PUT", "/v1/products/sku-tote", TOTE)
    send(
        api,
        {
            "type": "Order Completed",
            "externalId": "u-1",
            "properties": {
                "order_id": "o-1",
                "currency": "USD",
                "products": [{"product_id": "sku-tote", "quantity": 2}],
            },
        },
    )
    aggs = card(api, "u-1")
    assert aggs["orderCount"] == 1
    assert aggs["revenue"] == {"USD": "130.00"}


def test_enrich_reads_the_catalog_once_per_batch_and_caches(stores):
    service.upsert_product(stores, "sku-boots", Product(productId="sku-boots", **BOOTS))

    def viewed(i: int, product_id: str) -> Event:
        return Event(
            eventId=f"e-{i}",
            type="Product Viewed",
            identity=Identity(anonymousId="a-1"),
            timestamp=NOW - timedelta(minutes=i),
            receivedAt=NOW,
            properties={"product_id": product_id},
        )

    enrich = service.enricher(stores)
    METER.reset()
    events = [viewed(1, "sku-boots"), viewed(2, "sku-boots"), viewed(3, "sku-none")]
    out = enrich(events)
    assert METER.snapshot()["requests"] == {"dynamodb.BatchGetItem": 1}
    assert [e.properties.get("name") for e in out] == ["Leather Chelsea Boots", "Leather Chelsea Boots", None]
    assert out[2] is events[2], "events without catalog data are passed through"
    assert events[0].properties == {"product_id": "sku-boots"}, "input events are not changed"
    enrich([viewed(4, "sku-boots"), viewed(5, "sku-none")])
    assert METER.snapshot()["requests"] == {"dynamodb.BatchGetItem": 1}, "known ids come from the cache"


def test_events_that_name_no_product_are_untouched(stores):
    page = Event(
        eventId="p-1",
        type="Page Viewed",
        identity=Identity(anonymousId="a-1"),
        timestamp=NOW,
        receivedAt=NOW,
        properties={"product_id": "sku-boots"},
    )
    METER.reset()
    assert service.enrich(stores, [page]) == [page]
    assert METER.snapshot()["requests"] == {}
