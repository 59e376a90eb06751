"""Catalog use cases: upsert one product, import a feed, and enrich tracked events from the catalog.

* ``upsert_product`` is idempotent: the same data writes nothing and records no history.
* ``import_feed`` reports bad rows per row and writes the good ones with batch writes (history first).
* ``enrich`` fills what an event left out about the products it names (name, price, currency, url, image,
  category, in_stock) from the catalog: what the event says always wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from chalicelib.catalog.feeds import FeedFormat, RowError, parse_feed
from chalicelib.catalog.history import ProductChange, diff_product
from chalicelib.catalog.models import Product
from chalicelib.deps import Stores
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.events.models import CART_UPDATED, ORDER_COMPLETED, PRODUCT_VIEWED, WISHLIST_ADDED, Event
from chalicelib.storage.products import StoredProduct

log = logging.getLogger("orbit.catalog")
_ATTEMPTS = 4
_CHUNK = 100  # BatchGetItem's limit
# Events about one product (``properties.product_id``) and about a list (``properties.products[]``).
SINGLE_PRODUCT_EVENTS = frozenset(
    {PRODUCT_VIEWED, WISHLIST_ADDED, "Product Added", "Product Removed", "Product Clicked"}
)
PRODUCT_LIST_EVENTS = frozenset({CART_UPDATED, ORDER_COMPLETED})
ENRICHED_FIELDS = ("name", "price", "currency", "url", "image", "category", "in_stock")
Enricher = Callable[[list[Event]], list[Event]]


class ImportResult(BaseModel):
    imported: int = Field(description="Products created or changed")
    unchanged: int = Field(description="Products already in the catalog exactly as sent")
    errors: list[RowError] = Field(default_factory=list, description="Rejected rows, each with its problems")


# --- upsert / read -------------------------------------------------------------------------------------------


def upsert_product(
    stores: Stores, product_id: str, product: Product
) -> tuple[StoredProduct, bool, list[ProductChange]]:
    """Create or replace one product; returns (stored product, created, recorded changes)."""
    if product.productId != product_id:
        raise InvalidInput(
            "The product id in the body does not match the path",
            [ErrorDetail("productId", f"must equal {product_id!r} or be left out")],
        )
    store = stores.products
    for _attempt in range(_ATTEMPTS):
        old = store.get(product_id)
        if old is not None and old.product == product:
            return old, False, []
        now = stores.clock.now()
        changes = diff_product(old.product if old else None, product, now)
        try:
            saved = store.save(product, old, changes, now)
        except Conflict:
            continue  # someone else wrote it in between: diff against their version
        return saved, old is None, changes
    raise Conflict(f"Product {product_id!r} kept changing; try again")


def get_product(stores: Stores, product_id: str) -> StoredProduct:
    found = stores.products.get(product_id)
    if found is None:
        raise NotFound(f"No product with id {product_id!r}")
    return found


def history(stores: Stores, product: StoredProduct, limit: int | None = None) -> list[ProductChange]:
    return stores.products.history(product.product.productId, product.version, limit)


# --- feed import ---------------------------------------------------------------------------------------------


def import_feed(stores: Stores, data: bytes | str, fmt: FeedFormat) -> ImportResult:
    """Parse a feed and write its good rows; when a product id repeats, its last row wins."""
    parsed = parse_feed(data, fmt)
    latest: dict[str, Product] = {}
    for product in parsed.products:
        latest.pop(product.productId, None)
        latest[product.productId] = product
    store = stores.products
    now = stores.clock.now()
    imported = unchanged = 0
    ids = list(latest)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        current = store.get_many(chunk)
        rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]] = []
        for product_id in chunk:
            new, old = latest[product_id], current.get(product_id)
            if old is not None and old.product == new:
                unchanged += 1
                continue
            rows.append((new, old, diff_product(old.product if old else None, new, now)))
        store.save_many(rows, now)
        imported += len(rows)
    return ImportResult(imported=imported, unchanged=unchanged, errors=parsed.errors)


# --- enrichment ----------------------------------------------------------------------------------------------


def _event_product_ids(event: Event) -> list[str]:
    props = event.properties
    if event.type in SINGLE_PRODUCT_EVENTS:
        found = _item_id(props)
        return [found] if found else []
    if event.type in PRODUCT_LIST_EVENTS:
        items = props.get("products")
        return [i for i in (_item_id(p) for p in items if isinstance(p, dict)) if i] if isinstance(items, list) else []
    return []


def _item_id(props: dict[str, Any]) -> str | None:
    """The id the contact aggregates key products by: ``product_id``, else ``sku``."""
    raw = props.get("product_id") or props.get("sku")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    return str(raw)


def _money(value: Decimal) -> float:
    return float(value)


def catalog_fields(product: Product) -> dict[str, Any]:
    """A product as event properties (Segment e-commerce names)."""
    fields: dict[str, Any] = {
        "name": product.name,
        "price": _money(product.price),
        "currency": product.currency,
        "url": product.url,
        "image": product.image,
        "category": " > ".join(product.categoryPath) if product.categoryPath else None,
        "in_stock": product.inStock,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _fill(props: dict[str, Any], product: Product | None) -> dict[str, Any] | None:
    """``props`` with the missing catalog fields filled; None when nothing is missing or known."""
    if product is None:
        return None
    missing = {k: v for k, v in catalog_fields(product).items() if props.get(k) in (None, "")}
    return {**props, **missing} if missing else None


def enrich(stores: Stores, events: list[Event], cache: dict[str, Product | None] | None = None) -> list[Event]:
    """New events with catalog fields filled in; one BatchGetItem for the ids not in ``cache`` yet."""
    cache = {} if cache is None else cache
    wanted = [i for e in events for i in _event_product_ids(e) if i not in cache]
    if wanted:
        found = stores.products.get_many(wanted)
        for product_id in wanted:
            stored = found.get(product_id)
            cache[product_id] = stored.product if stored else None
    out = []
    for event in events:
        props = event.properties
        update: dict[str, Any] | None = None
        if event.type in SINGLE_PRODUCT_EVENTS:
            one = _item_id(props)
            update = _fill(props, cache.get(one)) if one else None
        elif event.type in PRODUCT_LIST_EVENTS and isinstance(props.get("products"), list):
            items = props["products"]
            filled = [(_fill(p, cache.get(_item_id(p) or "")) or p) if isinstance(p, dict) else p for p in items]
            if any(a is not b for a, b in zip(filled, items, strict=True)):
                update = {**props, "products": filled}
        out.append(event.model_copy(update={"properties": update}) if update is not None else event)
    return out


def enricher(stores: Stores) -> Enricher:
    """The consumer's enrich hook: catalog lookups cached for the enricher's life (one queue batch)."""
    cache: dict[str, Product | None] = {}

    def run(events: list[Event]) -> list[Event]:
        return enrich(stores, events, cache)

    return run
