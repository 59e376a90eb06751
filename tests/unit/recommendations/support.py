"""Products and interactions for the recommendation tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.recommendations.interactions import Interaction, Kind

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def product(pid: str, *path: str, price: float = 10, **fields: Any) -> Product:
    return Product(productId=pid, name=pid, price=price, categoryPath=list(path) or ["Shop"], **fields)


def catalog(*products: Product) -> dict[str, Product]:
    return {p.productId: p for p in products}


def did(contact: str, pid: str, kind: Kind = "purchase", days_ago: float = 1, quantity: int = 1) -> Interaction:
    return Interaction(contact, pid, kind, NOW - timedelta(days=days_ago), quantity)
