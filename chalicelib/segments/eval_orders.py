"""Order conditions: delivered orders counted, summed and averaged per currency (in a window of order days or
all time), and when the first or last one was.

Orders (delivered orders, as the contact card counts them) ``{"orders": measure, ...}``
  * ``count``: all currencies, or ``currency``'s. ``revenue``: in ``currency``; without one, in the contact's
    only currency (0 with no orders), false whatever the operator when it has orders in several currencies
    (amounts in different currencies are never added). ``averageOrderValue``: revenue / count in that
    currency, rounded half up to its minor units as the card shows it; false when there is no order in it.
    A contact stored before per-currency counts with several currencies has no per-currency count until its
    next order: a per-currency count or average is false meanwhile.
  * ``within`` (count and revenue): orders whose ``date`` falls on today's UTC day or one of the N-1 before
    (the order days kept on the contact, 366 days); revenue without currency then takes the only currency of
    the orders in the window (0 with none, false with several). ``within.hours`` is read as whole days
    (``ceil(hours / 24)``): order days have no hours. ``next_change``: the exact day boundary where the
    comparison flips.
  * ``lastOrderAt``/``firstOrderAt``: ``before``/``after`` a time (a date without a time compares the local
    date in the contact's time zone), ``isSet``/``isEmpty``, or ``ago`` (``olderThan``/``newerThan`` as for
    events; false with no order; ``next_change`` = the order time + the duration).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.contacts import aggregates
from chalicelib.orders.money import quantize
from chalicelib.segments import changes, counters, filters, timing
from chalicelib.segments.conditions import OrdersCondition
from chalicelib.segments.context import Context, LeafValue, as_decimal, comparator, plain


def orders_leaf(cond: OrdersCondition, path: str, ctx: Context) -> LeafValue:
    orders = ctx.aggs.get("orders") or {}
    if cond.orders in ("lastOrderAt", "firstOrderAt"):
        return _order_time(cond, orders, ctx)
    used: dict[str, Any] = {"measure": cond.orders}
    if cond.currency:
        used["currency"] = cond.currency
    if cond.within is not None:
        return _orders_within(cond, path, ctx, used)
    counts = aggregates.order_counts(dict(ctx.aggs))
    revenue = {c: as_decimal(v) for c, v in (orders.get("revenue") or {}).items()}
    measure: int | Decimal | None
    if cond.orders == "count":
        if cond.currency is None:
            measure = counters.as_count(orders.get("count", 0))
        else:
            measure = None if counts is None else counts.get(cond.currency, 0)
    else:
        currencies = sorted(counts) if counts is not None else sorted(c for c, v in revenue.items() if v)
        currency = cond.currency or (currencies[0] if len(currencies) == 1 else None)
        if cond.currency is None and len(currencies) > 1:
            used["currencies"] = currencies
        if cond.orders == "revenue":
            measure = None if currency is None and currencies else revenue.get(currency or "", Decimal(0))
        else:
            n = counts.get(currency, 0) if counts is not None and currency is not None else 0
            measure = quantize(revenue.get(currency or "", Decimal(0)) / n, currency or "") if n else None
    used["value"] = plain(measure)
    return LeafValue(comparator(cond.op or "", cond.value)(measure), used)


def _orders_within(cond: OrdersCondition, path: str, ctx: Context, used: dict[str, Any]) -> LeafValue:
    assert cond.within is not None
    size = cond.within.days if cond.within.days is not None else math.ceil((cond.within.hours or 0) / 24)
    days = ctx.order_days(path)
    indexes = sorted(days)

    def measure(current: int) -> int | Decimal | None:
        low = bisect.bisect_left(indexes, current - size + 1)
        high = bisect.bisect_right(indexes, current)
        entries = [days[i] for i in indexes[low:high]]
        if cond.orders == "count":
            return sum(n for e in entries for c, (n, _) in e.items() if cond.currency in (None, c))
        currencies = {c for e in entries for c in e}
        if cond.currency is None and len(currencies) > 1:
            return None
        return sum((r for e in entries for c, (_, r) in e.items() if cond.currency in (None, c)), Decimal(0))

    current = timing.bucket_of(ctx.now, "day")
    used |= {
        "value": plain(measure(current)),
        "from": timing.bucket_text(current - size + 1, "day"),
        "to": timing.bucket_text(current + 1, "day"),
    }
    test = comparator(cond.op or "", cond.value)
    part = changes.rolling(indexes, "day", size, ctx.now, lambda c: test(measure(c)))
    return LeafValue(part.value, used, part.next_change())


def _order_time(cond: OrdersCondition, orders: Mapping[str, Any], ctx: Context) -> LeafValue:
    stored = aggregates.stored_time(dict(orders), "lastAt" if cond.orders == "lastOrderAt" else "firstAt")
    moment = timing.parse_instant(stored)
    used: dict[str, Any] = {"measure": cond.orders, "value": stored}
    if cond.ago is not None:
        part = changes.ago(moment, cond.ago, ctx.now)
        return LeafValue(part.value, used, part.next_change())
    if cond.op in ("before", "after") and timing.is_date_only(cond.value):
        used["timeZone"] = timing.zone_name(ctx.tz)
    return LeafValue(filters.value_test(cond.op or "", "datetime", stored, cond.value, ctx.tz), used)
