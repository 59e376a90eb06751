"""In-memory ``Catalog``: products with a write version, and their price/stock history by version."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Product, StoredProduct
from chalicelib.clock import iso
from chalicelib.errors import Conflict
from chalicelib.ports import Catalog


@dataclass(frozen=True)
class HistoryRow:
    """One recorded change and the product version it belongs to."""

    version: int
    change: ProductChange


def _stored(product: Product, version: int, created_at: str, updated_at: str) -> StoredProduct:
    dumped = product.model_dump(mode="json", exclude_none=True)
    return StoredProduct(
        product=Product.model_validate(dumped),
        version=version,
        created_at=created_at,
        updated_at=updated_at,
        size=len(json.dumps(dumped)) + len(created_at) + len(updated_at),
    )


def _row(change: ProductChange, version: int) -> tuple[str, HistoryRow]:
    """The row's place (time, kind, version: a retried write of a version lands on the same place or a
    newer one) and the row."""
    place = f"{iso(change.at)}#{change.kind}#v{version}"
    return place, HistoryRow(version, ProductChange.model_validate(change.model_dump(mode="json", exclude_none=True)))


class FakeCatalog:
    """``products[id]`` and ``changes[id][place]``; a single ``save`` is atomic, so a lost race leaves no
    history (the adapter removes what it wrote); ``save_many`` is unconditional."""

    def __init__(self) -> None:
        self.products: dict[str, StoredProduct] = {}
        self.changes: dict[str, dict[str, HistoryRow]] = {}
        self._lock = threading.RLock()

    def get(self, product_id: str) -> StoredProduct | None:
        return self.products.get(product_id)

    def get_many(self, product_ids: Iterable[str]) -> dict[str, StoredProduct]:
        return {i: self.products[i] for i in dict.fromkeys(product_ids) if i in self.products}

    def history(self, product_id: str, version: int | None = None, limit: int | None = None) -> list[ProductChange]:
        with self._lock:
            if version is None:
                current = self.products.get(product_id)
                if current is None:
                    return []
                version = current.version
            rows = sorted(self.changes.get(product_id, {}).items(), reverse=True)
        newest: dict[tuple[int, str], HistoryRow] = {}
        for _place, row in rows:
            if limit is not None and len(newest) >= limit:
                break
            key = (row.version, row.change.kind)
            if row.version <= version and key not in newest:  # newest first: the first copy is the newest
                newest[key] = row
        kept = sorted(newest.values(), key=lambda r: (r.change.at, r.version))
        return [r.change for r in kept]

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        category: str | None = None,
        in_stock: bool | None = None,
    ) -> tuple[list[StoredProduct], dict[str, Any] | None]:
        """Products in id order, after ``start``'s id."""
        from tests.fakes.contacts import page_start

        after = page_start(start, ("pk", "sk"))
        if after is not None and after["sk"] != "current":
            page_start({}, ("pk", "sk"))
        with self._lock:
            ordered = sorted(self.products.items())
        matching = [
            p
            for i, p in ordered
            if (after is None or i > after["pk"])
            and (category is None or category in p.product.categoryPath)
            and (in_stock is None or p.product.inStock == in_stock)
        ]
        shown = matching[:limit]
        more = len(matching) > limit
        return shown, {"pk": shown[-1].product.productId, "sk": "current"} if more else None

    def save(
        self, product: Product, old: StoredProduct | None, changes: list[ProductChange], now: datetime
    ) -> StoredProduct:
        with self._lock:
            current = self.products.get(product.productId)
            if old is None and current is not None:
                raise Conflict("The item changed or already exists")
            if old is not None and (current is None or current.version != old.version):
                raise Conflict("The item changed or already exists")
            return self._write(product, old, changes, now)

    def save_many(self, rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]], now: datetime) -> None:
        with self._lock:
            for product, old, changes in rows:
                self._write(product, old, changes, now)

    def _write(
        self, product: Product, old: StoredProduct | None, changes: list[ProductChange], now: datetime
    ) -> StoredProduct:
        version = old.version + 1 if old else 1
        history = self.changes.setdefault(product.productId, {})
        for change in changes:
            place, row = _row(change, version)
            history[place] = row
        stored = _stored(product, version, old.created_at if old else iso(now), iso(now))
        self.products[product.productId] = stored
        return stored


_: Catalog = FakeCatalog()
