"""Product alerts: what a saved product's changes mean to shoppers who showed interest in it (a price drop, back
in stock), as one alert per product save. Pure functions; ``services/interest.py`` fans an alert out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chalicelib.catalog.history import ProductChange

PRICE_DROPPED = "Price Dropped"
BACK_IN_STOCK = "Back In Stock"


@dataclass(frozen=True)
class ProductAlert:
    """A save of ``product_id`` (the product ``version`` it wrote) that dropped its price, put it back in stock,
    or both."""

    product_id: str
    version: int
    at: datetime
    old_price: Decimal | None = None  # set (with new_price and currency) for a price drop
    new_price: Decimal | None = None
    currency: str | None = None
    back_in_stock: bool = False

    @property
    def price_dropped(self) -> bool:
        return self.old_price is not None and self.new_price is not None


def alert_for(changes: list[ProductChange], version: int) -> ProductAlert | None:
    """The alert in one save's changes (``diff_product``'s), or None when it neither dropped the price nor
    brought the product back in stock."""
    drop = next((c for c in changes if c.is_drop), None)
    back = any(c.is_back_in_stock for c in changes)
    if drop is None and not back:
        return None
    first = changes[0]
    return ProductAlert(
        product_id=first.productId,
        version=version,
        at=first.at,
        old_price=drop.oldPrice if drop else None,
        new_price=drop.newPrice if drop else None,
        currency=drop.newCurrency if drop else None,
        back_in_stock=back,
    )
