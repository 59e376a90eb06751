"""A small shop on the fakes for the recommendation use cases: products in the catalog, contacts and profiles in
the contact store, their shop events in the event log, and precomputed lists put straight into the store."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_ALIAS, KIND_PROFILE, ContactRecord
from chalicelib.events.models import CART_UPDATED, ORDER_COMPLETED, PRODUCT_VIEWED, Event, Identity
from chalicelib.ports import Ports
from chalicelib.recommendations.models import Scored
from tests.fakes import NOW, fake_ports

_ids = itertools.count(1)
T0 = "2026-11-27T11:00:00.000Z"


class Shop:
    def __init__(self) -> None:
        self.ports: Ports = fake_ports()
        self.now = NOW

    def product(self, product_id: str, *categories: str, in_stock: bool = True, **fields: Any) -> Product:
        product = Product(
            productId=product_id,
            name=f"Product {product_id}",
            price=Decimal("10.50"),
            currency="EUR",
            url=f"https://shop.example/p/{product_id}",
            image=f"https://shop.example/i/{product_id}.jpg",
            categoryPath=list(categories),
            inStock=in_stock,
            **fields,
        )
        self.ports.catalog.save(product, self.ports.catalog.get(product_id), [], self.now)
        return product

    def products(self, *product_ids: str) -> None:
        for product_id in product_ids:
            self.product(product_id)

    def contact(self, external_id: str) -> str:
        key = keys.known(external_id)
        self.ports.contacts.save(ContactRecord(key), None)
        return key

    def visitor(self, anonymous_id: str) -> str:
        key = keys.anonymous(anonymous_id)
        self.ports.contacts.save(ContactRecord(key, kind=KIND_PROFILE), None)
        return key

    def merge(self, anonymous_id: str, into: str) -> str:
        key = keys.anonymous(anonymous_id)
        self.ports.contacts.save(ContactRecord(key, kind=KIND_ALIAS, merged_into=into), None)
        return key

    def _event(self, key: str, type_: str, ago: timedelta, properties: dict[str, Any]) -> None:
        at = self.now - ago
        event = Event(
            eventId=f"e-{next(_ids)}",
            type=type_,
            identity=Identity(anonymousId="unused"),
            timestamp=at,
            receivedAt=at,
            properties=properties,
        )
        self.ports.events.insert(key, event)

    def viewed(self, key: str, product_id: str, ago: timedelta = timedelta(hours=1)) -> None:
        self._event(key, PRODUCT_VIEWED, ago, {"product_id": product_id})

    def carted(self, key: str, *product_ids: str, ago: timedelta = timedelta(hours=1)) -> None:
        self._event(key, CART_UPDATED, ago, {"products": [{"product_id": p, "quantity": 1} for p in product_ids]})

    def bought(self, key: str, *product_ids: str, ago: timedelta = timedelta(hours=1)) -> None:
        lines = [{"product_id": p, "quantity": 1} for p in product_ids]
        self._event(key, ORDER_COMPLETED, ago, {"order_id": f"o-{next(_ids)}", "products": lines})

    def lists(self, model: str, key: str, *product_ids: str) -> None:
        """A precomputed list, best first (scores descending from the count of products)."""
        found = [Scored(p, float(len(product_ids) - n)) for n, p in enumerate(product_ids)]
        self.ports.recommendations.put(model, key, found, T0)


def at(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)
