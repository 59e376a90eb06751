"""Pure enrichment rules: which products an event names, and the catalog fields it left out.

What the event says always wins; only missing (absent or empty) fields are filled.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.events.models import CART_UPDATED, ORDER_COMPLETED, PRODUCT_VIEWED, WISHLIST_ADDED, Event

# Events about one product (``properties.product_id``) and about a list (``properties.products[]``).
SINGLE_PRODUCT_EVENTS = frozenset(
    {PRODUCT_VIEWED, WISHLIST_ADDED, "Product Added", "Product Removed", "Product Clicked"}
)
PRODUCT_LIST_EVENTS = frozenset({CART_UPDATED, ORDER_COMPLETED})
ENRICHED_FIELDS = ("name", "price", "currency", "url", "image", "category", "in_stock")


def product_ids(event: Event) -> list[str]:
    """The ids of the products an event is about (none for other events)."""
    props = event.properties
    if event.type in SINGLE_PRODUCT_EVENTS:
        found = item_id(props)
        return [found] if found else []
    if event.type in PRODUCT_LIST_EVENTS:
        items = props.get("products")
        return [i for i in (item_id(p) for p in items if isinstance(p, dict)) if i] if isinstance(items, list) else []
    return []


def item_id(props: dict[str, Any]) -> str | None:
    """The id the contact aggregates key products by: ``product_id``, else ``sku``."""
    raw = props.get("product_id") or props.get("sku")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    return str(raw)


def catalog_fields(product: Product) -> dict[str, Any]:
    """A product as event properties (Segment e-commerce names)."""
    fields: dict[str, Any] = {
        "name": product.name,
        "price": float(product.price),
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


def enrich_event(event: Event, products: dict[str, Product | None]) -> Event:
    """The event with catalog fields filled from ``products`` (by id); the same object when nothing changes."""
    props = event.properties
    update: dict[str, Any] | None = None
    if event.type in SINGLE_PRODUCT_EVENTS:
        one = item_id(props)
        update = _fill(props, products.get(one)) if one else None
    elif event.type in PRODUCT_LIST_EVENTS and isinstance(props.get("products"), list):
        items = props["products"]
        filled = [(_fill(p, products.get(item_id(p) or "")) or p) if isinstance(p, dict) else p for p in items]
        if any(a is not b for a, b in zip(filled, items, strict=True)):
            update = {**props, "products": filled}
    return event.model_copy(update={"properties": update}) if update is not None else event
