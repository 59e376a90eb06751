"""Product history: price and stock changes between two versions of a product."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog.history import diff_product
from chalicelib.catalog.models import Product

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def product(**changes: Any) -> Product:
    fields: dict[str, Any] = {"productId": "SKU-1", "name": "Shoe", "price": "100.00", "currency": "EUR"}
    return Product.model_validate({**fields, **changes})


def test_new_product_is_created() -> None:
    [change] = diff_product(None, product(), AT)
    assert (change.kind, change.productId, change.at) == ("created", "SKU-1", AT)
    assert (change.newPrice, change.newInStock, change.oldPrice) == (Decimal("100.00"), True, None)


def test_same_price_and_stock_is_no_change() -> None:
    assert diff_product(product(price="100"), product(price="100.00", name="Renamed"), AT) == []


def test_lower_price_is_a_price_drop() -> None:
    [change] = diff_product(product(), product(price="79.90"), AT)
    assert (change.kind, change.oldPrice, change.newPrice) == (
        "price_changed",
        Decimal("100.00"),
        Decimal("79.90"),
    )
    assert change.is_drop


def test_higher_price_is_not_a_drop() -> None:
    [change] = diff_product(product(), product(price="120"), AT)
    assert change.kind == "price_changed" and not change.is_drop


def test_currency_change_is_a_price_change_but_never_a_drop() -> None:
    [change] = diff_product(product(), product(price="90", currency="USD"), AT)
    assert (change.kind, change.oldCurrency, change.newCurrency) == ("price_changed", "EUR", "USD")
    assert not change.is_drop


def test_back_in_stock_is_a_stock_change() -> None:
    [change] = diff_product(product(inStock=False), product(inStock=True), AT)
    assert (change.kind, change.oldInStock, change.newInStock) == ("stock_changed", False, True)
    assert change.is_back_in_stock and not change.is_drop


def test_price_and_stock_change_together_give_two_changes() -> None:
    changes = diff_product(product(), product(price="50", inStock=False), AT)
    assert [c.kind for c in changes] == ["price_changed", "stock_changed"]


def test_different_products_cannot_be_diffed() -> None:
    with pytest.raises(ValueError):
        diff_product(product(), product(productId="SKU-2"), AT)
