"""Listings over HTTP: GET /v1/contacts, /v1/products, /v1/orders and /v1/contacts/{id}/orders; phones sent with
an unencoded ``+``; feeds uploaded with curl's default form content type and ``?format=``."""

from __future__ import annotations

from typing import Any

import pytest


def walk(api: Any, path: str, limit: int = 2) -> list[dict[str, Any]]:
    """Every item of a listing, following nextCursor."""
    sep = "&" if "?" in path else "?"
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, body = api.json("GET", url)
        assert status == 200, body
        assert set(body) == {"items", "nextCursor"} and len(body["items"]) <= limit
        items += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return items
    raise AssertionError("the listing never ended")


@pytest.fixture
def people(api: Any) -> Any:
    assert api.json("POST", "/v1/fields", {"name": "tier", "type": "string"})[0] in (200, 201)
    assert api.json("POST", "/v1/fields", {"name": "score", "type": "number"})[0] in (200, 201)
    assert api.json("POST", "/v1/fields", {"name": "tags", "type": "stringList"})[0] in (200, 201)
    for n in range(1, 6):
        fields = {"tier": "gold" if n % 2 else "silver", "score": n, "tags": [f"t{n}"]}
        assert api.json("PUT", f"/v1/contacts/u-{n}", {"email": f"u{n}@example.com", "fields": fields})[0] == 201
    # an anonymous visitor's profile is not a contact and is never listed
    api.json("POST", "/v1/track", {"event": "Viewed", "anonymousId": "anon-1"})
    api.drain()
    return api


def ids(items: list[dict[str, Any]], key: str = "externalId") -> list[str]:
    return sorted(i[key] for i in items)


def test_contacts_without_an_identifier_are_listed_page_by_page(people: Any) -> None:
    found = walk(people, "/v1/contacts")
    assert ids(found) == ["u-1", "u-2", "u-3", "u-4", "u-5"]
    assert found[0]["fields"] and "aggregates" in found[0]


def test_contacts_are_filtered_by_fields_and_times(people: Any) -> None:
    assert ids(walk(people, "/v1/contacts?field.tier=gold")) == ["u-1", "u-3", "u-5"]
    assert ids(walk(people, "/v1/contacts?field.tier=gold&field.score=3")) == ["u-3"]
    assert ids(walk(people, "/v1/contacts?field.tags=t2")) == ["u-2"]
    assert ids(walk(people, "/v1/contacts?createdAfter=2000-01-01T00:00:00Z")) == ["u-1", "u-2", "u-3", "u-4", "u-5"]
    assert walk(people, "/v1/contacts?updatedBefore=2000-01-01") == []


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("createdAfter=yesterday", "createdAfter"),
        ("updatedAfter=2026-11-02T00:00:00Z&updatedBefore=2026-11-01T00:00:00Z", "updatedBefore"),
        ("field.nope=1", "field.nope"),
        ("field.score=many", "field.score"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_a_bad_contact_filter_is_a_400_naming_it(people: Any, query: str, path: str) -> None:
    status, body = people.json("GET", f"/v1/contacts?{query}")
    assert status == 400 and body["error"]["details"][0]["path"] == path


def test_a_cursor_from_another_listing_is_a_400(people: Any) -> None:
    people.json("PUT", "/v1/products/p-1", {"name": "Shoe", "price": "10.00", "currency": "USD"})
    people.json("PUT", "/v1/products/p-2", {"name": "Bag", "price": "10.00", "currency": "USD"})
    cursor = people.json("GET", "/v1/contacts?limit=1")[1]["nextCursor"]
    assert cursor
    status, body = people.json("GET", f"/v1/products?cursor={cursor}")
    assert status == 400 and body["error"]["details"][0]["path"] == "cursor"
    status, body = people.json("GET", f"/v1/orders?cursor={cursor}")
    assert status == 400 and body["error"]["details"][0]["path"] == "cursor"


def test_a_phone_sent_with_an_unencoded_plus_is_found(api: Any) -> None:
    api.json("PUT", "/v1/contacts/u-1", {"phone": "+380501234567"})
    for query in ("phone=+380501234567", "phone=%20380501234567", "phone=%2B380501234567"):
        status, body = api.json("GET", f"/v1/contacts?{query}")
        assert status == 200 and [c["externalId"] for c in body["contacts"]] == ["u-1"], query


@pytest.fixture
def shelf(api: Any) -> Any:
    for product_id, path, in_stock in (
        ("p-1", ["Shoes", "Running"], True),
        ("p-2", ["Shoes", "Trail"], False),
        ("p-3", ["Bags"], True),
    ):
        body = {"name": "Item", "price": "10.00", "currency": "USD", "categoryPath": path, "inStock": in_stock}
        assert api.json("PUT", f"/v1/products/{product_id}", body)[0] == 201
    return api


def test_products_are_listed_and_filtered(shelf: Any) -> None:
    assert ids(walk(shelf, "/v1/products"), "productId") == ["p-1", "p-2", "p-3"]
    assert ids(walk(shelf, "/v1/products?category=Shoes"), "productId") == ["p-1", "p-2"]
    assert ids(walk(shelf, "/v1/products?category=Running"), "productId") == ["p-1"]
    assert ids(walk(shelf, "/v1/products?inStock=false"), "productId") == ["p-2"]
    listed = walk(shelf, "/v1/products?category=Bags")[0]
    assert listed["createdAt"] and listed["price"] == "10.00"


@pytest.mark.parametrize(("query", "path"), [("inStock=yes", "inStock"), ("category=", "category")])
def test_a_bad_product_filter_is_a_400_naming_it(shelf: Any, query: str, path: str) -> None:
    status, body = shelf.json("GET", f"/v1/products?{query}")
    assert status == 400 and body["error"]["details"][0]["path"] == path


def test_a_feed_sent_as_a_form_is_imported_when_its_format_is_given(api: Any) -> None:
    feed = "id,title,price\nsku-1,Shoe,19.99 USD\n"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = api.json("POST", "/v1/products/import", raw=feed, headers=form)
    assert status == 415 and body["error"]["details"][0]["path"] == "Content-Type"
    status, body = api.json("POST", "/v1/products/import?format=csv", raw=feed, headers=form)
    assert status == 200, body
    assert api.json("GET", "/v1/products/sku-1")[0] == 200


def order(order_id: str, external_id: str, status: str, date: str) -> dict[str, Any]:
    return {
        "externalOrderId": order_id,
        "externalId": external_id,
        "status": status,
        "date": date,
        "totalCost": 10,
        "currency": "USD",
        "items": [{"externalItemId": "sku-1", "quantity": 1, "cost": 10}],
    }


@pytest.fixture
def book(api: Any) -> Any:
    orders = [
        order("o-1", "u-1", "DELIVERED", "2026-11-20T10:00:00Z"),
        order("o-2", "u-1", "INITIALIZED", "2026-11-21T10:00:00+02:00"),
        order("o-3", "u-2", "DELIVERED", "2026-11-22T10:00:00Z"),
    ]
    assert api.json("POST", "/v1/orders", {"orders": orders})[0] == 202
    api.drain()
    return api


def test_orders_are_listed_and_filtered(book: Any) -> None:
    assert ids(walk(book, "/v1/orders", 1), "externalOrderId") == ["o-1", "o-2", "o-3"]
    assert ids(walk(book, "/v1/orders?status=DELIVERED"), "externalOrderId") == ["o-1", "o-3"]
    assert ids(walk(book, "/v1/orders?contact=u-1", 1), "externalOrderId") == ["o-1", "o-2"]
    window = "dateFrom=2026-11-21T08:00:00Z&dateTo=2026-11-22T10:00:00Z"
    assert ids(walk(book, f"/v1/orders?{window}"), "externalOrderId") == ["o-2", "o-3"]
    assert walk(book, "/v1/orders?contact=nobody") == []


def test_a_contacts_orders_are_listed(book: Any) -> None:
    assert ids(walk(book, "/v1/contacts/u-1/orders", 1), "externalOrderId") == ["o-1", "o-2"]
    assert ids(walk(book, "/v1/contacts/u-1/orders?status=DELIVERED"), "externalOrderId") == ["o-1"]
    assert book.json("GET", "/v1/contacts/nobody/orders")[0] == 404
    cursor = book.json("GET", "/v1/contacts/u-1/orders?limit=1")[1]["nextCursor"]
    status, body = book.json("GET", f"/v1/orders?contact=u-2&cursor={cursor}")
    assert status == 400 and body["error"]["details"][0]["path"] == "cursor"


@pytest.mark.parametrize(
    ("query", "path"),
    [("status=SHIPPED", "status"), ("dateFrom=soon", "dateFrom"), ("contact=%20u-1", "contact")],
)
def test_a_bad_order_filter_is_a_400_naming_it(book: Any, query: str, path: str) -> None:
    status, body = book.json("GET", f"/v1/orders?{query}")
    assert status == 400 and body["error"]["details"][0]["path"] == path
