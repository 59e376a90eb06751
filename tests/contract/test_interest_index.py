"""InterestIndex: noted pairs list per product, the latest note of a pair counts, interest older than ``since`` is
left out, a purchase's ``forget`` drops the pair, pages cover every contact once, and a foreign cursor is
InvalidInput. The index's items leave the catalog's listing alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib.catalog.models import Product
from chalicelib.errors import InvalidInput
from chalicelib.ports import InterestIndex, Ports
from tests.fakes import NOW

SINCE = NOW - timedelta(days=30)


@pytest.fixture
def index(wired: Ports) -> InterestIndex:
    return wired.interest


def everyone(index: InterestIndex, product_id: str, limit: int = 100) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page, cursor = index.interested(product_id, SINCE, limit, cursor)
        found += page
        if cursor is None:
            return found


def test_noted_contacts_are_listed_per_product(index):
    index.note([("p-1", "x#ann", NOW), ("p-1", "x#bob", NOW), ("p-2", "x#cy", NOW)])
    assert sorted(everyone(index, "p-1")) == ["x#ann", "x#bob"]
    assert everyone(index, "p-2") == ["x#cy"]
    assert everyone(index, "p-3") == []


def test_interest_before_since_is_left_out(index):
    index.note([("p-1", "x#old", SINCE - timedelta(minutes=1)), ("p-1", "x#new", SINCE)])
    assert everyone(index, "p-1") == ["x#new"]


def test_the_latest_note_of_a_pair_counts(index):
    index.note([("p-1", "x#ann", SINCE - timedelta(days=1)), ("p-1", "x#ann", NOW)])  # same batch: latest wins
    index.note([("p-1", "x#bob", SINCE - timedelta(days=1))])
    index.note([("p-1", "x#bob", NOW)])  # a later batch renews it
    assert sorted(everyone(index, "p-1")) == ["x#ann", "x#bob"]


def test_forget_drops_the_pair_only(index):
    index.note([("p-1", "x#ann", NOW), ("p-2", "x#ann", NOW)])
    index.forget([("p-1", "x#ann"), ("p-1", "x#nobody")])
    assert everyone(index, "p-1") == []
    assert everyone(index, "p-2") == ["x#ann"]


def test_pages_cover_every_contact_once(index):
    index.note([("p-1", f"x#c{n:02d}", NOW) for n in range(30)])  # more than one batch write
    found = everyone(index, "p-1", limit=7)
    assert sorted(found) == [f"x#c{n:02d}" for n in range(30)]


def test_a_foreign_cursor_is_invalid_input(index):
    with pytest.raises(InvalidInput):
        index.interested("p-1", SINCE, 10, "ob1.eyJ4IjoxfQ")


def test_interest_items_are_not_products(wired: Ports, index):
    wired.catalog.save(Product(productId="p-1", name="Mug", price=Decimal("1.00")), None, [], NOW)
    index.note([("p-1", "x#ann", NOW)])
    products, _ = wired.catalog.page(10)
    assert [p.product.productId for p in products] == ["p-1"]
