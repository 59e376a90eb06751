"""Listing pages (``page``) of ContactStore, Catalog and OrderStore: filters, page sizes, start keys.

Pages are unordered and may be short while more follow, so these tests walk every page and compare the sets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.catalog.history import diff_product
from chalicelib.catalog.models import Product
from chalicelib.contacts.record import KIND_ALIAS, KIND_PROFILE, ContactRecord
from chalicelib.errors import InvalidInput
from chalicelib.ports import Catalog, ContactStore, OrderStore

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def walk(page: Callable[[int, Any], tuple[list[Any], Any]], limit: int) -> list[Any]:
    """Every item of a listing, page by page (each page at most ``limit``)."""
    found: list[Any] = []
    start = None
    for _ in range(1000):
        items, start = page(limit, start)
        assert len(items) <= limit
        found += items
        if start is None:
            return found
    raise AssertionError("the listing never ended")


def contact(n: int, kind: str = "contact", **fields: Any) -> ContactRecord:
    prefix = {"contact": "x#", "profile": "a#", "alias": "a#"}[kind]
    return ContactRecord(
        key=f"{prefix}u-{n:02d}",
        kind=kind,
        profile={"email": f"u{n}@example.com"} if kind == "contact" else {},
        fields=fields,
        created_at=f"2026-11-{n:02d}T10:00:00.000Z",
        updated_at=f"2026-11-{n + 1:02d}T10:00:00.000Z",
        merged_into="x#u-01" if kind == KIND_ALIAS else None,
    )


@pytest.fixture
def people(contacts: ContactStore) -> ContactStore:
    for n in range(1, 13):
        contacts.save(contact(n, tier="gold" if n % 3 == 0 else "silver", score=n, vip=n % 2 == 0), None)
    contacts.save(contact(20, KIND_PROFILE, tier="gold"), None)
    contacts.save(contact(21, KIND_ALIAS, tier="gold"), None)
    contacts.save(contact(13, tags=["a", "b"]), None)
    return contacts


def keys_of(records: list[ContactRecord]) -> list[str]:
    return sorted(r.key for r in records)


@pytest.mark.parametrize("limit", [1, 5, 500])
def test_contact_pages_hold_every_known_contact_once(people: ContactStore, limit: int) -> None:
    found = walk(lambda n, s: people.page(n, s), limit)
    assert keys_of(found) == [f"x#u-{n:02d}" for n in range(1, 14)]


def test_contact_pages_filter_on_times_inclusively(people: ContactStore) -> None:
    found = walk(
        lambda n, s: people.page(
            n,
            s,
            created=("2026-11-03T10:00:00.000Z", "2026-11-06T10:00:00.000Z"),
            updated=(None, "2026-11-06T10:00:00.000Z"),
        ),
        2,
    )
    assert keys_of(found) == ["x#u-03", "x#u-04", "x#u-05"]


def test_contact_pages_filter_on_fields_by_type(people: ContactStore) -> None:
    gold = walk(lambda n, s: people.page(n, s, fields={"tier": "gold"}), 3)
    assert keys_of(gold) == ["x#u-03", "x#u-06", "x#u-09", "x#u-12"]
    assert keys_of(walk(lambda n, s: people.page(n, s, fields={"score": 4}), 3)) == ["x#u-04"]
    assert keys_of(walk(lambda n, s: people.page(n, s, fields={"score": 4.0}), 3)) == ["x#u-04"]
    assert keys_of(walk(lambda n, s: people.page(n, s, fields={"vip": True, "tier": "gold"}), 3)) == [
        "x#u-06",
        "x#u-12",
    ]
    assert keys_of(walk(lambda n, s: people.page(n, s, fields={"tags": "b"}), 3)) == ["x#u-13"]
    assert keys_of(walk(lambda n, s: people.page(n, s, fields={"tier": "gol"}), 3)) == []


@pytest.mark.parametrize("start", ["x#u-01", {"pk": 1}, {"pk": "x#u-01", "sk": "current"}, {}])
def test_a_contact_page_refuses_a_start_it_did_not_return(people: ContactStore, start: Any) -> None:
    with pytest.raises(InvalidInput):
        people.page(5, start)


def test_an_empty_contact_listing_is_one_empty_page(contacts: ContactStore) -> None:
    assert contacts.page(10) == ([], None)


def write(catalog: Catalog, product_id: str, categories: list[str], in_stock: bool = True) -> None:
    new = Product.model_validate(
        {
            "productId": product_id,
            "name": "Shoe",
            "price": "10.00",
            "currency": "USD",
            "inStock": in_stock,
            "categoryPath": categories,
        }
    )
    old = catalog.get(product_id)
    catalog.save(new, old, diff_product(old.product if old else None, new, T0), T0)


@pytest.fixture
def shelf(catalog: Catalog) -> Catalog:
    write(catalog, "p-1", ["Shoes", "Running"])
    write(catalog, "p-2", ["Shoes", "Trail"], in_stock=False)
    write(catalog, "p-3", ["Bags"])
    write(catalog, "p-4", ["Running"])
    write(catalog, "p-1", ["Shoes", "Running"], in_stock=False)  # history items too
    return catalog


def ids(products: list[Any]) -> list[str]:
    return sorted(p.product.productId for p in products)


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_product_pages_hold_current_products_once(shelf: Catalog, limit: int) -> None:
    assert ids(walk(lambda n, s: shelf.page(n, s), limit)) == ["p-1", "p-2", "p-3", "p-4"]


def test_product_pages_filter_on_any_category_level_and_stock(shelf: Catalog) -> None:
    assert ids(walk(lambda n, s: shelf.page(n, s, category="Running"), 1)) == ["p-1", "p-4"]
    assert ids(walk(lambda n, s: shelf.page(n, s, category="Shoes"), 1)) == ["p-1", "p-2"]
    assert ids(walk(lambda n, s: shelf.page(n, s, category="Shoe"), 1)) == []
    assert ids(walk(lambda n, s: shelf.page(n, s, in_stock=True), 2)) == ["p-3", "p-4"]
    assert ids(walk(lambda n, s: shelf.page(n, s, category="Shoes", in_stock=False), 2)) == ["p-1", "p-2"]


@pytest.mark.parametrize("start", [{"pk": "p-1"}, {"pk": "p-1", "sk": "h#2026"}, "p-1"])
def test_a_product_page_refuses_a_start_it_did_not_return(shelf: Catalog, start: Any) -> None:
    with pytest.raises(InvalidInput):
        shelf.page(5, start)


def order(order_id: str, contact: str, status: str, date: str) -> dict[str, Any]:
    return {
        "externalOrderId": order_id,
        "status": status,
        "contact": contact,
        "date": date,
        "totalCost": "25.00",
        "currency": "USD",
        "items": [],
    }


@pytest.fixture
def book(orders: OrderStore) -> OrderStore:
    orders.save(order("o-1", "x#u-1", "DELIVERED", "2026-11-20T10:00:00Z"), None)
    orders.save(order("o-2", "x#u-1", "INITIALIZED", "2026-11-21T10:00:00+02:00"), None)
    orders.save(order("o-3", "x#u-2", "DELIVERED", "2026-11-22T10:00:00Z"), None)
    orders.save(order("o-4", "a#anon", "DELIVERED", "2026-11-21T09:00:00+00:00"), None)
    orders.save(order("o-5", "x#u-1", "DELIVERED", "2026-11-25T10:00:00Z"), None)
    return orders


def order_ids(found: list[dict[str, Any]]) -> list[str]:
    return sorted(str(o["externalOrderId"]) for o in found)


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_order_pages_hold_every_order_once(book: OrderStore, limit: int) -> None:
    assert order_ids(walk(lambda n, s: book.page(n, s), limit)) == ["o-1", "o-2", "o-3", "o-4", "o-5"]


def test_order_pages_filter_on_status_and_date_as_a_time(book: OrderStore) -> None:
    low, high = datetime(2026, 11, 21, 8, 0, tzinfo=UTC), datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert order_ids(walk(lambda n, s: book.page(n, s, dates=(low, high)), 1)) == ["o-2", "o-3", "o-4"]
    assert order_ids(walk(lambda n, s: book.page(n, s, status="DELIVERED", dates=(low, None)), 1)) == [
        "o-3",
        "o-4",
        "o-5",
    ]


def test_a_contacts_order_pages_hold_only_its_orders(book: OrderStore) -> None:
    assert order_ids(walk(lambda n, s: book.page(n, s, contact_key="x#u-1"), 1)) == ["o-1", "o-2", "o-5"]
    assert order_ids(walk(lambda n, s: book.page(n, s, contact_key="x#u-1", status="DELIVERED"), 1)) == [
        "o-1",
        "o-5",
    ]
    assert walk(lambda n, s: book.page(n, s, contact_key="x#nobody"), 3) == []


def test_an_order_page_refuses_a_start_of_another_listing(book: OrderStore) -> None:
    first, start = book.page(1, None, contact_key="x#u-1")
    assert len(first) == 1 and start is not None
    with pytest.raises(InvalidInput):
        book.page(1, start, contact_key="x#u-2")
    with pytest.raises(InvalidInput):
        book.page(1, start)
    with pytest.raises(InvalidInput):
        book.page(1, {"pk": "o-1"}, contact_key="x#u-1")
