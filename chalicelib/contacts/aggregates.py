"""Aggregates kept on the contact so rules never scan events: orders, revenue, counters, cart, views.

Pure functions over a plain dict (the stored shape). Folding is order-independent where it can be:
counters add, last-seen takes the max, the cart keeps the newest state, views merge by time. Orders keep the
total count, the count and revenue per currency, and the first/last order time of the orders that count;
a transition that removes or moves a bound says so and the caller sets the bounds again from the contact's
orders (``set_order_bounds``), so the contact never stores its orders.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.clock import iso
from chalicelib.events.models import CART_UPDATED, PRODUCT_VIEWED, WISHLIST_ADDED, Event
from chalicelib.orders.money import money
from chalicelib.validation import OLDEST_TIMESTAMP

log = logging.getLogger("orbit.aggregates")

MAX_VIEWED = 20
MAX_WISHLIST = 50
MAX_CART_ITEMS = 200
FILTERED_PROPERTIES = ("category", "page_type", "status")
MAX_FILTERED_PER_TYPE = 10
Aggs = dict[str, Any]


@dataclass(frozen=True)
class OrderDelta:
    """The change one order transition makes to the order aggregates (in one currency)."""

    count: int
    revenue: Decimal
    currency: str
    at: datetime | None  # the order's date, when the new version counts
    left: datetime | None = None  # the date of the counting version it replaces (a bound may go with it)


def empty() -> Aggs:
    return {
        "orders": {"count": 0, "counts": {}, "revenue": {}},
        "counters": {},
        "viewed": [],
        "wishlist": [],
        "cart": None,
    }


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


def stored_time(stored: Aggs, key: str) -> str | None:
    """A stored ISO time, or None (with a warning) when it is missing, unreadable or before the oldest date,
    so no stored value can break a read or win a min/max it should not."""
    value = stored.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed < OLDEST_TIMESTAMP:
            raise ValueError("naive or too old")
    except (TypeError, ValueError):
        log.warning("ignoring a stored time that cannot be right", extra={"key": key, "value": str(value)[:40]})
        return None
    return str(value)


def _counters(aggs: Aggs) -> dict[str, dict[str, int]]:
    """The daily counters, keeping only ``{"YYYYMMDD": count}`` entries (a warning for anything else)."""
    clean: dict[str, dict[str, int]] = {}
    dropped = 0
    for counter, days in (aggs.get("counters") or {}).items():
        if not isinstance(days, dict):
            dropped += 1
            continue
        kept = {
            d: int(n)
            for d, n in days.items()
            if isinstance(d, str) and len(d) == 8 and d.isdigit() and isinstance(n, int | Decimal)
        }
        dropped += len(days) - len(kept)
        if kept:
            clean[counter] = kept
    if dropped:
        log.warning("ignoring stored counters that cannot be right", extra={"dropped": dropped})
    return clean


def fold_event(aggs: Aggs, event: Event, window_days: int, today: datetime) -> None:
    """Fold one new event into ``aggs`` in place."""
    at = iso(event.timestamp)
    aggs["firstSeenAt"] = min(stored_time(aggs, "firstSeenAt") or at, at)
    aggs["lastSeenAt"] = max(stored_time(aggs, "lastSeenAt") or at, at)
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


def order_counts(aggs: Aggs) -> dict[str, int] | None:
    """Counting orders per currency; None when a contact stored before per-currency counts holds several
    currencies (its next order transition recounts them from its orders)."""
    orders = aggs.get("orders") or {}
    if "counts" in orders:
        return dict(orders["counts"])
    count = orders.get("count", 0)
    currencies = list(orders.get("revenue") or {})
    if not count:
        return {}
    return {currencies[0]: count} if len(currencies) == 1 else None


def apply_order(aggs: Aggs, delta: OrderDelta) -> bool:
    """Apply one transition's delta; True when it removed or moved the first or last order time, which only
    the contact's orders can tell again (``set_order_bounds``).

    A currency whose last counting order goes disappears from the counts and the revenue."""
    orders = aggs.setdefault("orders", {"count": 0, "counts": {}, "revenue": {}})
    counts = order_counts(aggs)
    orders["count"] = max(0, orders.get("count", 0) + delta.count)
    revenue = _money(orders["revenue"].get(delta.currency, "0")) + delta.revenue
    if counts is None:  # counts unknown (see order_counts): keep revenue as the contact stored it
        orders["revenue"][delta.currency] = str(revenue)
    else:
        left = counts.get(delta.currency, 0) + delta.count
        if left > 0:
            counts[delta.currency], orders["revenue"][delta.currency] = left, str(revenue)
        else:
            counts.pop(delta.currency, None)
            orders["revenue"].pop(delta.currency, None)
        orders["counts"] = counts
    if not orders["count"]:
        orders.pop("firstAt", None)
        orders.pop("lastAt", None)
        return False
    at = iso(delta.at) if delta.at is not None else None
    gone = iso(delta.left) if delta.left is not None else None
    if at is not None:
        orders["firstAt"] = min(orders.get("firstAt") or at, at)
        orders["lastAt"] = max(orders.get("lastAt") or at, at)
    return gone is not None and gone != at and gone in (orders.get("firstAt"), orders.get("lastAt"))


def set_order_bounds(aggs: Aggs, dates: list[datetime]) -> None:
    """First and last order times from the dates of every counting order (none: both unset)."""
    orders = aggs.setdefault("orders", {"count": 0, "counts": {}, "revenue": {}})
    orders.pop("firstAt", None)
    orders.pop("lastAt", None)
    if dates:
        orders["firstAt"], orders["lastAt"] = iso(min(dates)), iso(max(dates))


def recount_orders(aggs: Aggs, counting: list[OrderDelta]) -> None:
    """Order aggregates from scratch: ``counting`` holds one positive delta per counting order."""
    aggs["orders"] = {"count": 0, "counts": {}, "revenue": {}}
    for delta in counting:
        apply_order(aggs, delta)


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
    for key, pick in (("firstSeenAt", min), ("lastSeenAt", max)):
        values = [v for v in (stored_time(result, key), stored_time(other, key)) if v]
        if values:
            result[key] = pick(values)
        else:
            result.pop(key, None)
    theirs = other.get("cart")
    if theirs and (not result.get("cart") or theirs["updatedAt"] > result["cart"]["updatedAt"]):
        result["cart"] = theirs
    for key, limit in (("viewed", MAX_VIEWED), ("wishlist", MAX_WISHLIST)):
        by_product: dict[str, dict[str, Any]] = {}
        for entry in sorted(result.get(key, []) + other.get(key, []), key=lambda e: e["at"]):
            by_product[entry["productId"]] = entry
        result[key] = sorted(by_product.values(), key=lambda e: e["at"], reverse=True)[:limit]
    _merge_orders(result, other)
    return result


def _merge_orders(result: Aggs, other: Aggs) -> None:
    mine, theirs = order_counts(result), order_counts(other)
    orders = result.setdefault("orders", {"count": 0, "counts": {}, "revenue": {}})
    merged = other.get("orders") or {}
    for currency, revenue in (merged.get("revenue") or {}).items():
        orders["revenue"][currency] = str(_money(orders["revenue"].get(currency, "0")) + _money(revenue))
    orders["count"] = orders.get("count", 0) + merged.get("count", 0)
    if mine is None or theirs is None:
        orders.pop("counts", None)  # unknown: the next order transition recounts
    else:
        orders["counts"] = {c: mine.get(c, 0) + theirs.get(c, 0) for c in {*mine, *theirs}}
    for key, pick in (("firstAt", min), ("lastAt", max)):
        values = [v for v in (orders.get(key), merged.get(key)) if v]
        if values:
            orders[key] = pick(values)


def summary(aggs: Aggs, today: datetime) -> dict[str, Any]:
    """The computed view shown on the contact card."""
    orders = aggs.get("orders") or {}
    counts = order_counts(aggs)
    stored = {cur: _money(v) for cur, v in (orders.get("revenue") or {}).items()}
    if counts is None:  # stored before per-currency counts: revenue only, until the next order recounts
        revenue = {cur: money(v, cur) for cur, v in stored.items() if v}
        aov: dict[str, str] = {}
    else:
        revenue = {cur: money(stored.get(cur, 0), cur) for cur in counts}
        aov = {cur: money(stored.get(cur, Decimal(0)) / n, cur) for cur, n in counts.items()}
    counters = _counters(aggs)
    totals: dict[str, dict[str, int]] = {}
    for event_type, days in counters.items():
        totals[event_type] = {
            f"last{n}d": sum(c for d, c in days.items() if d >= _day(today - timedelta(days=n - 1)))
            for n in (1, 7, 30, 90)
        }
    return {
        "orderCount": orders.get("count", 0),
        "orderCounts": dict(sorted((counts or {}).items())),
        "revenue": revenue,
        "averageOrderValue": aov,
        "firstOrderAt": stored_time(orders, "firstAt"),
        "lastOrderAt": stored_time(orders, "lastAt"),
        "firstSeenAt": stored_time(aggs, "firstSeenAt"),
        "lastSeenAt": stored_time(aggs, "lastSeenAt"),
        "eventCounts": totals,
        "dailyEventCounts": counters,
        "cart": aggs.get("cart"),
        "recentlyViewed": aggs.get("viewed", []),
        "wishlist": aggs.get("wishlist", []),
    }
