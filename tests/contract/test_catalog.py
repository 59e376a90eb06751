"""Catalog: products with a write version, and the price/stock history of the versions that happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog.history import ProductChange, diff_product
from chalicelib.catalog.models import Product, StoredProduct
from chalicelib.clock import iso
from chalicelib.errors import Conflict
from chalicelib.ports import Catalog

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def product(price: str = "19.99", in_stock: bool = True, product_id: str = "sku-1", **extra: Any) -> Product:
    return Product.model_validate(
        {"productId": product_id, "name": "Trail shoe", "price": price, "currency": "USD", "inStock": in_stock, **extra}
    )


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def write(catalog: Catalog, new: Product, minutes: int = 0) -> StoredProduct:
    """Upsert as the use case does: diff against what is stored, save over it."""
    old = catalog.get(new.productId)
    return catalog.save(new, old, diff_product(old.product if old else None, new, at(minutes)), at(minutes))


def kinds(changes: list[ProductChange]) -> list[tuple[str, Decimal | None, bool | None]]:
    return [(c.kind, c.newPrice, c.newInStock) for c in changes]


def test_an_unknown_product_is_none_and_has_no_history(catalog: Catalog) -> None:
    assert catalog.get("sku-missing") is None
    assert catalog.history("sku-missing") == []


def test_a_new_product_is_stored_at_version_1(catalog: Catalog) -> None:
    new = product(
        url="https://shop.example/p/1",
        categoryPath=["Shoes", "Trail"],
        attributes={"size": ["42", "43"], "weight": 0.4},
    )

    saved = catalog.save(new, None, diff_product(None, new, T0), T0)

    assert (saved.product, saved.version, saved.created_at, saved.updated_at) == (new, 1, iso(T0), iso(T0))
    found = catalog.get("sku-1")
    assert found is not None and (found.product, found.version, found.created_at) == (new, 1, iso(T0))


def test_saving_over_the_stored_version_bumps_it_and_keeps_the_creation_time(catalog: Catalog) -> None:
    write(catalog, product("19.99"))

    saved = write(catalog, product("17.99"), minutes=5)

    found = catalog.get("sku-1")
    assert found is not None
    assert (found.version, found.product.price, found.created_at, found.updated_at) == (
        2,
        Decimal("17.99"),
        iso(T0),
        iso(at(5)),
    )
    assert saved.version == 2


def test_creating_a_product_that_exists_is_a_conflict(catalog: Catalog) -> None:
    write(catalog, product("19.99"))

    with pytest.raises(Conflict):
        catalog.save(product("5.00"), None, diff_product(None, product("5.00"), at(1)), at(1))

    found = catalog.get("sku-1")
    assert found is not None and found.product.price == Decimal("19.99")


def test_a_save_over_a_stale_version_is_a_conflict_and_leaves_no_history(catalog: Catalog) -> None:
    # GIVEN two writers that read version 1, and the first one saved a price drop
    first = write(catalog, product("19.99"))
    write(catalog, product("17.99"), minutes=5)
    # WHEN the second one saves its own change over version 1
    stale = product("15.99", in_stock=False)
    with pytest.raises(Conflict):
        catalog.save(stale, first, diff_product(first.product, stale, at(6)), at(6))
    # THEN neither its product nor its changes show
    found = catalog.get("sku-1")
    assert found is not None and found.product.price == Decimal("17.99") and found.version == 2
    assert kinds(catalog.history("sku-1")) == [
        ("created", Decimal("19.99"), True),
        ("price_changed", Decimal("17.99"), None),
    ]


def test_a_lost_race_in_the_same_millisecond_keeps_the_winners_history(catalog: Catalog) -> None:
    # GIVEN two writers that read version 1 and change the price at the same instant; the first one wins
    first = write(catalog, product("19.99"))
    winner, loser = product("17.99"), product("16.99")
    catalog.save(winner, first, diff_product(first.product, winner, at(5)), at(5))
    # WHEN the loser saves the same kind of change, with the same time, over version 1
    with pytest.raises(Conflict):
        catalog.save(loser, first, diff_product(first.product, loser, at(5)), at(5))
    # THEN the winner's change is still in the history
    assert kinds(catalog.history("sku-1"))[-1] == ("price_changed", Decimal("17.99"), None)


def test_history_lists_the_changes_oldest_first(catalog: Catalog) -> None:
    write(catalog, product("19.99", in_stock=True))
    write(catalog, product("19.99", in_stock=True, name="Renamed"), minutes=1)  # neither price nor stock
    write(catalog, product("17.99", in_stock=True), minutes=2)
    write(catalog, product("17.99", in_stock=False), minutes=3)
    write(catalog, product("17.99", in_stock=True), minutes=4)

    changes = catalog.history("sku-1")

    assert kinds(changes) == [
        ("created", Decimal("19.99"), True),
        ("price_changed", Decimal("17.99"), None),
        ("stock_changed", None, False),
        ("stock_changed", None, True),
    ]
    assert changes[1].is_drop and changes[3].is_back_in_stock and changes[1].at == at(2)


def test_history_never_shows_changes_of_versions_past_the_one_given(catalog: Catalog) -> None:
    # GIVEN a reader that saw version 2, and a writer that since saved version 3
    write(catalog, product("19.99"))
    write(catalog, product("17.99"), minutes=1)
    write(catalog, product("15.99"), minutes=2)
    # THEN the history of version 2 ends with version 2's change
    assert kinds(catalog.history("sku-1", version=2)) == [
        ("created", Decimal("19.99"), True),
        ("price_changed", Decimal("17.99"), None),
    ]
    assert len(catalog.history("sku-1")) == 3


def test_history_with_a_limit_is_the_newest_changes_oldest_first(catalog: Catalog) -> None:
    for minutes, price in enumerate(("19.99", "18.99", "17.99", "16.99")):
        write(catalog, product(price), minutes=minutes)

    assert [c.newPrice for c in catalog.history("sku-1", limit=2)] == [Decimal("17.99"), Decimal("16.99")]


def test_get_many_returns_the_stored_products_and_leaves_missing_ones_out(catalog: Catalog) -> None:
    write(catalog, product(product_id="sku-1"))
    write(catalog, product(product_id="sku-2", price="5"))

    found = catalog.get_many(["sku-2", "sku-missing", "sku-1", "sku-2"])

    assert {k: (v.product.price, v.version) for k, v in found.items()} == {
        "sku-1": (Decimal("19.99"), 1),
        "sku-2": (Decimal("5"), 1),
    }
    assert catalog.get_many([]) == {}


def test_save_many_writes_every_row_with_its_history(catalog: Catalog) -> None:
    old = write(catalog, product("19.99", product_id="sku-1"))
    rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]] = [
        (product("17.99", product_id="sku-1"), old, diff_product(old.product, product("17.99"), at(1))),
        (product("5.00", product_id="sku-2"), None, diff_product(None, product("5.00", product_id="sku-2"), at(1))),
    ]

    catalog.save_many(rows, at(1))

    found = catalog.get_many(["sku-1", "sku-2"])
    assert {k: (v.product.price, v.version, v.created_at) for k, v in found.items()} == {
        "sku-1": (Decimal("17.99"), 2, iso(T0)),
        "sku-2": (Decimal("5.00"), 1, iso(at(1))),
    }
    assert kinds(catalog.history("sku-1")) == [
        ("created", Decimal("19.99"), True),
        ("price_changed", Decimal("17.99"), None),
    ]
    assert kinds(catalog.history("sku-2")) == [("created", Decimal("5.00"), True)]


def test_save_many_is_unconditional_and_a_repeated_change_of_a_version_shows_once(catalog: Catalog) -> None:
    # GIVEN a feed import applied twice over the same stored version (a retry, or two imports racing)
    old = write(catalog, product("19.99"))
    for minutes, price in ((1, "18.99"), (2, "17.99")):
        new = product(price)
        catalog.save_many([(new, old, diff_product(old.product, new, at(minutes)))], at(minutes))
    # THEN the last writer wins, and version 2's price change is recorded once: the newest copy
    found = catalog.get("sku-1")
    assert found is not None and found.product.price == Decimal("17.99") and found.version == 2
    assert kinds(catalog.history("sku-1")) == [
        ("created", Decimal("19.99"), True),
        ("price_changed", Decimal("17.99"), None),
    ]
