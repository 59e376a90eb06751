"""Aggregates kept on the contact so rules never scan events: orders, revenue, counters, cart, views.

Pure functions over a plain dict (the stored shape). Folding is order-independent where it can be:
counters add, last-seen takes the max, the cart keeps the newest state, views merge by time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.clock import iso
from chalicelib.events.models import CART_UPDATED, PRODUCT_VIEWED, WISHLIST_ADDED, Event

MAX_VIEWED = 20
MAX_WISHLIST = 50
MAX_CART_ITEMS = 200
FILTERED_PROPERTIES = ("category", "page_type", "status")
MAX_FILTERED_PER_TYPE = 10
Aggs = dict[str, Any]


@dataclass(frozen=True)
class OrderDelta:
    """The change one order transition makes to the order aggregates."""

    count: int
    revenue: Decimal
    currency: str
    at: datetime | None  # order date when it became DELIVERED


def empty() -> Aggs:
    return {"orders": {"count": 0, "revenue": {}}, "counters": {}, "viewed": [], "wishlist": [], "cart": None}


def _day(ts: datetime) -> str:
    return ts.strftime("%Y%m%d")


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _products(raw: Any) -> list[dict[str, Any]]:
    items = []
    for p in raw if isinstance(raw, list) else []:
        if isinstance(p, dict) and (p.get("product_id") or p.get("sku")):
            item = {
                "productId": str(p.get("product_id") or p.get("sku")),
                "quantity": int(p.get("quantity") or 1),
            }
            for src, dst in (("price", "price"), ("name", "name"), ("currency", "currency"), ("url", "url")):
                if p.get(src) is not None:
                    item[dst] = p[src]
            items.append(item)
    return items[:MAX_CART_ITEMS]


def counter_keys(event: Event, counters: dict[str, Any]) -> list[str]:
    """The event type, plus ``type|property=value`` for the few properties worth counting cheaply.

    Only short string values of ``FILTERED_PROPERTIES`` count, and at most
    ``MAX_FILTERED_PER_TYPE`` distinct values per type, so a contact item stays small.
    """
    keys = [event.type]
    for prop in FILTERED_PROPERTIES:
        value = event.properties.get(prop)
        if not isinstance(value, str) or not 0 < len(value) <= 60:
            continue
        key = f"{event.type}|{prop}={value}"
        prefix = f"{event.type}|{prop}="
        if key in counters or sum(k.startswith(prefix) for k in counters) < MAX_FILTERED_PER_TYPE:
            keys.append(key)
    return keys


def fold_event(aggs: Aggs, event: Event, window_days: int, today: datetime) -> None:
    """Fold one new event into ``aggs`` in place."""
    at = iso(event.timestamp)
    aggs["firstSeenAt"] = min(aggs.get("firstSeenAt") or at, at)
    aggs["lastSeenAt"] = max(aggs.get("lastSeenAt") or at, at)
    if event.timestamp >= today - timedelta(days=window_days):
        for counter in counter_keys(event, aggs["counters"]):
            per_day = aggs["counters"].setdefault(counter, {})
            day = _day(event.timestamp)
            per_day[day] = per_day.get(day, 0) + 1
    props = event.properties
    if event.type == CART_UPDATED:
        _set_cart(aggs, props.get("cart_id"), _products(props.get("products")), props.get("currency"), at)
    elif event.type in ("Product Added", "Product Removed"):
        _cart_delta(aggs, event.type == "Product Added", props, at)
    elif event.type == PRODUCT_VIEWED and props.get("product_id"):
        _remember(aggs, "viewed", str(props["product_id"]), props, at, MAX_VIEWED)
    elif event.type == WISHLIST_ADDED and props.get("product_id"):
        _remember(aggs, "wishlist", str(props["product_id"]), props, at, MAX_WISHLIST)


def _set_cart(aggs: Aggs, cart_id: Any, items: list[dict[str, Any]], currency: Any, at: str) -> None:
    current = aggs.get("cart")
    if current and current.get("updatedAt", "") > at:
        return  # an older cart state arrived late
    aggs["cart"] = {"cartId": cart_id, "items": items, "currency": currency, "updatedAt": at}


def _cart_delta(aggs: Aggs, added: bool, props: dict[str, Any], at: str) -> None:
    cart = aggs.get("cart") or {
        "cartId": props.get("cart_id"),
        "items": [],
        "currency": props.get("currency"),
    }
    found = _products([props])
    if not found:
        return
    product = found[0]
    items = [dict(i) for i in cart["items"]]
    existing = next((i for i in items if i["productId"] == product["productId"]), None)
    if added and existing:
        existing["quantity"] += product["quantity"]
    elif added:
        items.append(product)
    elif existing:
        existing["quantity"] -= product["quantity"]
        items = [i for i in items if i["quantity"] > 0]
    aggs["cart"] = {**cart, "items": items, "updatedAt": max(cart.get("updatedAt", at), at)}


def _remember(aggs: Aggs, key: str, product_id: str, props: dict[str, Any], at: str, limit: int) -> None:
    entries = [e for e in aggs.get(key, []) if e["productId"] != product_id]
    entry = {"productId": product_id, "at": at}
    for field in ("price", "currency"):  # the price seen (price-drop triggers); names come from the catalog
        if props.get(field) is not None:
            entry[field] = props[field]
    entries.append(entry)
    entries.sort(key=lambda e: e["at"], reverse=True)
    aggs[key] = entries[:limit]


def apply_order(aggs: Aggs, delta: OrderDelta) -> None:
    orders = aggs.setdefault("orders", {"count": 0, "revenue": {}})
    orders["count"] = max(0, orders["count"] + delta.count)
    revenue = _money(orders["revenue"].get(delta.currency, "0")) + delta.revenue
    orders["revenue"][delta.currency] = str(revenue)
    if delta.at is not None and delta.count > 0:
        at = iso(delta.at)
        orders["firstAt"] = min(orders.get("firstAt") or at, at)
        orders["lastAt"] = max(orders.get("lastAt") or at, at)


def prune(aggs: Aggs, window_days: int, today: datetime) -> None:
    """Drop daily counters older than the rolling window."""
    oldest = _day(today - timedelta(days=window_days))
    for event_type in list(aggs["counters"]):
        days = {d: n for d, n in aggs["counters"][event_type].items() if d >= oldest}
        if days:
            aggs["counters"][event_type] = days
        else:
            del aggs["counters"][event_type]


def merge(into: Aggs, other: Aggs) -> Aggs:
    """Fold a merged profile's aggregates (an anonymous visitor's) into a known contact's."""
    result = copy.deepcopy(into)
    for event_type, days in other.get("counters", {}).items():
        mine = result["counters"].setdefault(event_type, {})
        for day, n in days.items():
            mine[day] = mine.get(day, 0) + n
    for key in ("firstSeenAt",):
        values = [v for v in (result.get(key), other.get(key)) if v]
        if values:
            result[key] = min(values)
    values = [v for v in (result.get("lastSeenAt"), other.get("lastSeenAt")) if v]
    if values:
        result["lastSeenAt"] = max(values)
    theirs = other.get("cart")
    if theirs and (not result.get("cart") or theirs["updatedAt"] > result["cart"]["updatedAt"]):
        result["cart"] = theirs
    for key, limit in (("viewed", MAX_VIEWED), ("wishlist", MAX_WISHLIST)):
        by_product: dict[str, dict[str, Any]] = {}
        for entry in sorted(result.get(key, []) + other.get(key, []), key=lambda e: e["at"]):
            by_product[entry["productId"]] = entry
        result[key] = sorted(by_product.values(), key=lambda e: e["at"], reverse=True)[:limit]
    orders = other.get("orders", {})
    for currency, revenue in orders.get("revenue", {}).items():
        apply_order(result, OrderDelta(0, _money(revenue), currency, None))
    result["orders"]["count"] += orders.get("count", 0)
    for key, pick in (("firstAt", min), ("lastAt", max)):
        values = [v for v in (result["orders"].get(key), orders.get(key)) if v]
        if values:
            result["orders"][key] = pick(values)
    return result


def summary(aggs: Aggs, today: datetime) -> dict[str, Any]:
    """The computed view shown on the contact card."""
    orders = aggs.get("orders", {"count": 0, "revenue": {}})
    count = orders.get("count", 0)
    revenue = {cur: float(_money(v)) for cur, v in orders.get("revenue", {}).items()}
    aov = {cur: round(v / count, 2) for cur, v in revenue.items()} if count else {}
    totals: dict[str, dict[str, int]] = {}
    for event_type, days in aggs.get("counters", {}).items():
        totals[event_type] = {
            f"last{n}d": sum(c for d, c in days.items() if d >= _day(today - timedelta(days=n - 1)))
            for n in (1, 7, 30, 90)
        }
    return {
        "orderCount": count,
        "revenue": revenue,
        "averageOrderValue": aov,
        "firstOrderAt": orders.get("firstAt"),
        "lastOrderAt": orders.get("lastAt"),
        "firstSeenAt": aggs.get("firstSeenAt"),
        "lastSeenAt": aggs.get("lastSeenAt"),
        "eventCounts": totals,
        "dailyEventCounts": aggs.get("counters", {}),
        "cart": aggs.get("cart"),
        "recentlyViewed": aggs.get("viewed", []),
        "wishlist": aggs.get("wishlist", []),
    }
