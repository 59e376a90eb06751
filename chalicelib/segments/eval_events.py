"""Event and message conditions: counting matching events in a window or period, and when the first or last
one was.

Events ``{"event": type, "where", "count", "within" | "between", "first", "last"}``
  * Matching events: of the type, passing every ``where`` filter (``chalicelib.segments.filters`` describes
    property filters). Counted: ``within.days N``: events whose UTC day is today's or one of the N-1 before;
    ``within.hours N``: whose UTC hour is the current one or one of the N-1 before (an event timed ahead of
    ``now`` counts once its day/hour begins); ``between``: events timed in ``[from, to)`` (a fixed period: time
    alone never changes it); neither: every matching event ever. The count is compared with ``count``
    (default at least 1).
  * ``first``/``last``: the time of the first/last matching event ever (whatever the window) is ``olderThan``
    (at least that long before ``now``: ``t <= now - d``) or ``newerThan`` (``t > now - d``) an exact duration
    (days of 24 hours, or hours); false when there is none. A condition with them holds when its count holds
    too (the default "at least 1" adds nothing).
  * The count is answered from the built-in daily counters (``aggs.counters``) when there is no ``where`` and
    a ``within.days`` of at most ``counter_window_days``; else, and for ``first``/``last``, from the counters
    segments register (``aggs.segmentCounters``); a counter the record lacks (or holds for a shorter window)
    is computed from ``facts.history`` (``MissingData`` when there is none).
  * ``next_change``: the exact moment the count's comparison flips as counted buckets leave the window (and
    buckets ahead of now enter it), or ``first``/``last`` + the duration.

Messages ``{"message": activity, "channel", "count", "within"}``: an event condition on the activity's event
type (``rules.MESSAGE_EVENTS``: ``Message Sent`` ...) with ``where channel eq <channel>`` when a channel is given.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.clock import iso
from chalicelib.segments import changes, counter_specs, counters, timing
from chalicelib.segments.conditions import Condition, EventCondition, MessageCondition
from chalicelib.segments.context import Context, LeafValue, comparator
from chalicelib.segments.counter_specs import CounterSpec


@dataclass(frozen=True)
class _EventPlan:
    """What an event condition reads, worked out once per condition (not per contact)."""

    query: counter_specs.Query
    count: CounterSpec | None  # None: the built-in counters
    occurrence: CounterSpec | None
    test: Callable[[int | Decimal | None], bool]


_PLANS: dict[tuple[int, int], tuple[Condition, _EventPlan]] = {}


def _plan(cond: EventCondition | MessageCondition, window_days: int) -> _EventPlan:
    """The condition's plan, cached by identity (the entry holds the condition, so its id stays its own)."""
    key = (id(cond), window_days)
    held = _PLANS.get(key)
    if held is not None and held[0] is cond:
        return held[1]
    if len(_PLANS) > 10_000:
        _PLANS.clear()
    q = counter_specs.query(cond)
    plan = _EventPlan(
        q,
        counter_specs.count_spec(q, window_days),
        counter_specs.occurrence_spec(q),
        comparator(q.count.op, q.count.value),
    )
    _PLANS[key] = (cond, plan)
    return plan


def event_leaf(cond: EventCondition | MessageCondition, path: str, ctx: Context) -> LeafValue:
    plan = _plan(cond, ctx.facts.counter_window_days)
    q, count_spec, test = plan.query, plan.count, plan.test
    used: dict[str, Any] = {"event": q.event}
    parts: list[changes.Part] = []
    if count_spec is None:  # the built-in daily counters
        assert q.within is not None and q.within.days is not None
        raw = (ctx.aggs.get("counters") or {}).get(q.event) or {}
        parts.append(_windowed(counters.buckets(raw, "day"), "day", q.within.days, ctx.now, test, used))
        used["source"] = "counters"
    else:
        counter, source = ctx.counter(count_spec, path)
        used["source"] = source
        if count_spec.unit in ("day", "hour"):
            unit: timing.Unit = "day" if count_spec.unit == "day" else "hour"
            parts.append(
                _windowed(counters.buckets(counter.get("b"), unit), unit, count_spec.keep, ctx.now, test, used)
            )
        else:
            n, _, _ = counters.occurrences(counter)
            used["count"] = n
            if q.between is not None:
                used |= {"from": iso(q.between.from_), "to": iso(q.between.to)}
            parts.append(changes.Part(test(n)))
    occurrence = plan.occurrence
    if occurrence is not None:
        counter, _ = ctx.counter(occurrence, path)
        _, first, last = counters.occurrences(counter)
        for name, ago, moment in (("first", q.first, first), ("last", q.last, last)):
            if ago is not None:
                used[name] = iso(moment) if moment is not None else None
                parts.append(changes.ago(moment, ago, ctx.now))
    part = changes.conjunction(parts)
    return LeafValue(part.value, used, part.next_change())


def _windowed(
    found: dict[int, int],
    unit: timing.Unit,
    size: int,
    now: datetime,
    test: Callable[[int | Decimal | None], bool],
    used: dict[str, Any],
) -> changes.Part:
    """A count over a rolling window of buckets, compared."""
    indexes = sorted(found)
    totals = [0, *itertools.accumulate(found[i] for i in indexes)]

    def total(current: int) -> int:
        low = bisect.bisect_left(indexes, current - size + 1)
        high = bisect.bisect_right(indexes, current)
        return totals[high] - totals[low]

    current = timing.bucket_of(now, unit)
    used |= {
        "count": total(current),
        "from": timing.bucket_text(current - size + 1, unit),
        "to": timing.bucket_text(current + 1, unit),
    }
    return changes.rolling(indexes, unit, size, now, lambda c: test(total(c)))
