"""Aggregates kept on the contact so rules never scan events: orders, revenue, counters, cart, views.

Pure functions over a plain dict (the stored shape). Folding is order-independent where it can be:
counters add, last-seen takes the max, the cart keeps the newest state, views merge by time. Orders keep the
total count, the count and revenue per currency, and the first/last order time of the orders that count;
a transition that removes or moves a bound says so and the caller sets the bounds again from the contact's
orders (``set_order_bounds``), so the contact never stores its orders.

Order days (segments' order conditions with a window): ``orders["days"]["YYYYMMDD"][currency] = {"n": count,
"r": "revenue"}`` per UTC day of the counting orders' ``date``, kept ``ORDER_DAYS`` days (``prune``). A contact
whose orders were counted before order days existed has no ``days`` until its orders are recounted
(``order_days`` answers None: unknown), so a window never undercounts silently.

Segment counters (``aggs["segmentCounters"]``, kept by ``chalicelib.segments.counters``) are merged here too.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
ORDER_DAYS = 366  # order days kept: today (UTC) and the 365 before, the longest window a segment may ask for
SEGMENT_COUNTERS = "segmentCounters"
Aggs = dict[str, Any]


@dataclass(frozen=True)
class OrderDelta:
    """The change one order transition makes to the order aggregates (in one currency)."""

    count: int
    revenue: Decimal
    currency: str
    at: datetime | None  # the order's date, when the new version counts
    left: datetime | None = None  # the date of the counting version it replaces (a bound may go with it)
    left_revenue: Decimal | None = None  # that version's revenue (its order day loses it when the date moves)


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


def _utc_day(ts: datetime) -> str:
    return _day(ts.astimezone(UTC))


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
    _order_days(orders, delta)
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
        orders["days"] = {}  # no counting order: no order day, whatever was known before
        return False
    at = iso(delta.at) if delta.at is not None else None
    gone = iso(delta.left) if delta.left is not None else None
    if at is not None:
        orders["firstAt"] = min(orders.get("firstAt") or at, at)
        orders["lastAt"] = max(orders.get("lastAt") or at, at)
    return gone is not None and gone != at and gone in (orders.get("firstAt"), orders.get("lastAt"))


def _order_days(orders: Aggs, delta: OrderDelta) -> None:
    """Move ``delta`` into the order days (before the count changes: days start being kept, empty, only while
    the contact has no counting order, so they are complete whenever present)."""
    if "days" not in orders:
        if orders.get("count", 0):
            return  # counted before order days existed: unknown until a recount
        orders["days"] = {}
    days = orders["days"]
    left, at = delta.left, delta.at
    if delta.count == 0 and left is not None and at is not None and _utc_day(left) != _utc_day(at):  # the date moved
        if delta.left_revenue is None:
            log.warning("an order changed day without its previous revenue: that day keeps it in order days")
        before = delta.left_revenue or Decimal(0)
        _add_order_day(days, _utc_day(left), delta.currency, -1, -before)
        _add_order_day(days, _utc_day(at), delta.currency, 1, before + delta.revenue)
        return
    when = at if at is not None else left
    if when is not None:
        _add_order_day(days, _utc_day(when), delta.currency, delta.count, delta.revenue)


def _add_order_day(days: Aggs, day: str, currency: str, count: int, revenue: Decimal) -> None:
    """A day's entry for a currency goes when it holds no order (a removal of a pruned day leaves nothing)."""
    entries = days.setdefault(day, {})
    entry = entries.get(currency) or {"n": 0, "r": "0"}
    n = int(entry.get("n", 0)) + count
    if n > 0:
        entries[currency] = {"n": n, "r": str(_money(entry.get("r", "0")) + revenue)}
    else:
        entries.pop(currency, None)
    if not entries:
        del days[day]


def order_days(aggs: Aggs) -> dict[str, dict[str, dict[str, Any]]] | None:
    """The order days (``{"YYYYMMDD": {currency: {"n", "r"}}}``), or None when they are unknown (orders counted
    before order days existed, not recounted since)."""
    orders = aggs.get("orders") or {}
    days = orders.get("days")
    if isinstance(days, dict):
        return days
    return None if orders.get("count", 0) else {}


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
    """Drop daily counters older than the rolling window, and order days older than ``ORDER_DAYS``."""
    oldest = _day(today - timedelta(days=window_days))
    for event_type in list(aggs["counters"]):
        days = {d: n for d, n in aggs["counters"][event_type].items() if d >= oldest}
        if days:
            aggs["counters"][event_type] = days
        else:
            del aggs["counters"][event_type]
    order_days = (aggs.get("orders") or {}).get("days")
    if isinstance(order_days, dict):
        first_kept = _day(today - timedelta(days=ORDER_DAYS - 1))
        for day in [d for d in order_days if d < first_kept]:
            del order_days[day]


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
    _merge_segment_counters(result, other)
    return result


def _merge_segment_counters(result: Aggs, other: Aggs) -> None:
    """Counters both hold add up (buckets and counts summed, first the earlier, last the later, the shorter
    window kept); a counter only one holds is dropped, since it misses the other's events (the next use
    computes it from the merged event history)."""
    mine, theirs = result.get(SEGMENT_COUNTERS), other.get(SEGMENT_COUNTERS)
    if not isinstance(mine, dict):
        result.pop(SEGMENT_COUNTERS, None)
        return
    theirs = theirs if isinstance(theirs, dict) else {}
    merged: dict[str, Any] = {}
    for counter_id, counter in mine.items():
        other_counter = theirs.get(counter_id)
        if isinstance(counter, dict) and isinstance(other_counter, dict):
            merged[counter_id] = _merge_counter(counter, other_counter)
    if merged:
        result[SEGMENT_COUNTERS] = merged
    else:
        result.pop(SEGMENT_COUNTERS, None)


def _merge_counter(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if "b" in mine or "b" in theirs:
        buckets = dict(mine.get("b") or {})
        for key, n in (theirs.get("b") or {}).items():
            buckets[key] = int(buckets.get(key, 0)) + int(n)
        merged["b"] = buckets
        merged["k"] = min(int(mine.get("k", 0)), int(theirs.get("k", 0)))
    if "n" in mine or "n" in theirs:
        merged["n"] = int(mine.get("n", 0)) + int(theirs.get("n", 0))
    for key, pick in (("first", min), ("last", max)):
        values = [v for v in (mine.get(key), theirs.get(key)) if isinstance(v, str)]
        if values:
            merged[key] = pick(values)
    return merged


def _merge_orders(result: Aggs, other: Aggs) -> None:
    mine, theirs = order_counts(result), order_counts(other)
    orders = result.setdefault("orders", {"count": 0, "counts": {}, "revenue": {}})
    merged = other.get("orders") or {}
    for currency, revenue in (merged.get("revenue") or {}).items():
        orders["revenue"][currency] = str(_money(orders["revenue"].get(currency, "0")) + _money(revenue))
    days, their_days = order_days(result), order_days(other)
    if days is None or their_days is None:
        orders.pop("days", None)  # unknown on one side: unknown until a recount
    else:
        orders["days"] = copy.deepcopy(days)
        for day, entries in their_days.items():
            for currency, entry in entries.items():
                _add_order_day(orders["days"], day, currency, int(entry.get("n", 0)), _money(entry.get("r", "0")))
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
