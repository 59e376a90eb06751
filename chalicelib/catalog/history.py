"""Product history: the price and stock changes between two versions of a product (drives price-drop and
back-in-stock triggers). Pure functions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.catalog.models import Product

ChangeKind = Literal["created", "price_changed", "stock_changed"]


class ProductChange(BaseModel):
    """One change; price fields are set for ``created``/``price_changed``, stock fields for
    ``created``/``stock_changed``."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    productId: str
    at: datetime
    oldPrice: Decimal | None = None
    newPrice: Decimal | None = None
    oldCurrency: str | None = None
    newCurrency: str | None = None
    oldInStock: bool | None = None
    newInStock: bool | None = None

    @property
    def is_drop(self) -> bool:
        """A price drop: the same currency, and the new price is below the old one."""
        return (
            self.kind == "price_changed"
            and self.oldPrice is not None
            and self.newPrice is not None
            and self.oldCurrency == self.newCurrency
            and self.newPrice < self.oldPrice
        )

    @property
    def is_back_in_stock(self) -> bool:
        return self.kind == "stock_changed" and self.oldInStock is False and self.newInStock is True


def diff_product(old: Product | None, new: Product, at: datetime) -> list[ProductChange]:
    """Changes from ``old`` (None: not in the catalog yet) to ``new``; empty when price and stock match.

    A currency change counts as a price change (but never as a drop). Other fields are not tracked.
    """
    if old is None:
        return [
            ProductChange(
                kind="created",
                productId=new.productId,
                at=at,
                newPrice=new.price,
                newCurrency=new.currency,
                newInStock=new.inStock,
            )
        ]
    if old.productId != new.productId:
        raise ValueError(f"cannot diff product {old.productId!r} against {new.productId!r}")
    changes = []
    if old.price != new.price or old.currency != new.currency:
        changes.append(
            ProductChange(
                kind="price_changed",
                productId=new.productId,
                at=at,
                oldPrice=old.price,
                newPrice=new.price,
                oldCurrency=old.currency,
                newCurrency=new.currency,
            )
        )
    if old.inStock != new.inStock:
        changes.append(
            ProductChange(
                kind="stock_changed",
                productId=new.productId,
                at=at,
                oldInStock=old.inStock,
                newInStock=new.inStock,
            )
        )
    return changes
