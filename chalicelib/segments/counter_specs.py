"""Counter specs: which materialised counters a segment registers for the event and message conditions the
contact's built-in daily counters cannot answer, and how each is identified.

An event or message condition's count is answered from the built-in counters (``aggs.counters[type]``, per UTC
day, kept ``counter_window_days``) when it has no ``where`` and a ``within`` of days no longer than
``counter_window_days``. Otherwise its segment registers counters when it is saved (``specs``):

* for its count: ``within.days N`` -> a ``day`` counter keeping N buckets; ``within.hours N`` -> an ``hour``
  counter keeping N buckets; ``between`` -> a ``period`` counter (matching events timed in ``[from, to)``); no
  window -> an ``all`` counter (every matching event, all time);
* for its ``first``/``last`` (whatever answers the count): an ``all`` counter, which also holds the first and
  last matching event times.

A counter is identified by a short stable hash of its event type, filters (in any order), unit and period; the
same counter serves every segment that needs it, keeping the longest window any of them needs (``combine``).
How counters are stored and kept: ``chalicelib.segments.counters``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from chalicelib.segments import timing
from chalicelib.segments.conditions import (
    MESSAGE_EVENTS,
    Ago,
    Between,
    Comparison,
    Condition,
    EventCondition,
    MessageCondition,
    PropertyFilter,
    Window,
)
from chalicelib.segments.rule_tree import leaves

CounterUnit = Literal["day", "hour", "all", "period"]


@dataclass(frozen=True)
class Query:
    """An event or message condition, as the event query it is."""

    event: str
    where: tuple[PropertyFilter, ...]
    count: Comparison
    within: Window | None = None
    between: Between | None = None
    first: Ago | None = None
    last: Ago | None = None


def query(leaf: EventCondition | MessageCondition) -> Query:
    """A message condition is an event condition on ``MESSAGE_EVENTS[activity]`` with ``channel eq <channel>``."""
    if isinstance(leaf, MessageCondition):
        where = (PropertyFilter(property="channel", op="eq", value=leaf.channel),) if leaf.channel else ()
        return Query(MESSAGE_EVENTS[leaf.message], where, leaf.count, leaf.within)
    return Query(leaf.event, tuple(leaf.where), leaf.count, leaf.within, leaf.between, leaf.first, leaf.last)


def builtin(q: Query, counter_window_days: int) -> bool:
    """True when the contact's built-in daily counters answer the condition's count."""
    return (
        not q.where
        and q.within is not None
        and q.within.days is not None
        and q.within.days <= counter_window_days
        and q.between is None
    )


@dataclass(frozen=True)
class CounterSpec:
    """A counter segments registered: events of ``event`` passing ``where``, per ``unit``. ``keep``: buckets
    kept (``day``/``hour``; 0 otherwise). ``period``: ``[from, to)`` of a ``period`` counter."""

    id: str
    event: str
    where: tuple[PropertyFilter, ...]
    unit: CounterUnit
    keep: int
    period: tuple[datetime, datetime] | None = None


def counter_spec(
    event: str,
    where: Iterable[PropertyFilter],
    unit: CounterUnit,
    keep: int = 0,
    period: tuple[datetime, datetime] | None = None,
) -> CounterSpec:
    filters = sorted((f.model_dump(mode="json") for f in where), key=lambda f: json.dumps(f, sort_keys=True))
    identity: dict[str, Any] = {"e": event, "w": filters, "u": unit}
    if period is not None:
        identity["p"] = [timing.stamp(period[0]), timing.stamp(period[1])]
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    ordered = tuple(PropertyFilter.model_validate(f) for f in filters)
    return CounterSpec(id=digest[:16], event=event, where=ordered, unit=unit, keep=keep, period=period)


def count_spec(q: Query, counter_window_days: int) -> CounterSpec | None:
    """The counter that answers the condition's count (None: the built-in counters do)."""
    if builtin(q, counter_window_days):
        return None
    if q.between is not None:
        return counter_spec(q.event, q.where, "period", period=(q.between.from_, q.between.to))
    if q.within is not None and q.within.days is not None:
        return counter_spec(q.event, q.where, "day", q.within.days)
    if q.within is not None and q.within.hours is not None:
        return counter_spec(q.event, q.where, "hour", q.within.hours)
    return counter_spec(q.event, q.where, "all")


def occurrence_spec(q: Query) -> CounterSpec | None:
    """The counter that knows the first and last matching event (None: the condition tests neither)."""
    if q.first is None and q.last is None:
        return None
    return counter_spec(q.event, q.where, "all")


def specs(rule: Condition, exclude: Condition | None, counter_window_days: int) -> list[CounterSpec]:
    """The counters a segment registers: those its event and message conditions are answered from."""
    found: list[CounterSpec] = []
    for leaf in leaves(rule) + (leaves(exclude) if exclude is not None else []):
        if isinstance(leaf, EventCondition | MessageCondition):
            q = query(leaf)
            found.extend(s for s in (count_spec(q, counter_window_days), occurrence_spec(q)) if s is not None)
    return combine(found)


def combine(specs: Iterable[CounterSpec]) -> list[CounterSpec]:
    """One spec per id, keeping the longest window (first-seen order)."""
    by_id: dict[str, CounterSpec] = {}
    for spec in specs:
        held = by_id.get(spec.id)
        by_id[spec.id] = spec if held is None or spec.keep > held.keep else held
    return list(by_id.values())


def with_keep(spec: CounterSpec, keep: int) -> CounterSpec:
    return replace(spec, keep=keep)
