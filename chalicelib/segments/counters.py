"""Materialised counters: the per-contact event counts that segments register for the event conditions the
contact's built-in daily counters cannot answer, and the property filters (``where``) events are matched with.

Which conditions need one. An event or message condition's count is answered from the built-in counters
(``aggs.counters[type]``, per UTC day, kept ``counter_window_days``) when it has no ``where`` and a ``within`` of
days no longer than ``counter_window_days``. Otherwise its segment registers counters when it is saved
(``specs``):

* for its count: ``within.days N`` -> a ``day`` counter keeping N buckets; ``within.hours N`` -> an ``hour``
  counter keeping N buckets; ``between`` -> a ``period`` counter (matching events timed in ``[from, to)``); no
  window -> an ``all`` counter (every matching event, all time);
* for its ``first``/``last`` (whatever answers the count): an ``all`` counter, which also holds the first and
  last matching event times.

A counter is identified by a short stable hash of its event type, filters (in any order), unit and period; the
same counter serves every segment that needs it, keeping the longest window any of them needs (``combine``).

Stored on the contact as ``aggs["segmentCounters"][id]``:

* ``day``/``hour``: ``{"k": buckets kept, "b": {"YYYYMMDD" or "YYYYMMDDHH" (UTC): n}}``; the buckets from the
  current one back ``k - 1``, plus any ahead of now (an event timed a few minutes ahead counts once its bucket
  begins). Older buckets are dropped, so the size is bounded by ``k`` (at most 366 days or 168 hours);
* ``all``: ``{"n": matching events, "first": time, "last": time}`` (times as fixed-width UTC text with
  microseconds); counts are never dropped, the size is constant;
* ``period``: ``{"n": matching events timed in the period}``.

Keeping them: the consumer folds each new event into the counters the contact holds (``fold``); a counter the
contact lacks is computed from its event history (``backfill`` over the events from ``history_start``), which
must then hold exactly the events folded so far, so no event counts twice. ``prune``, given the full list of
registered counters, drops old buckets, counters no segment registers any more, and ``day``/``hour`` counters
kept shorter than a registered window now needs (they are computed again from history on next use: their
missing buckets cannot be recovered otherwise). Evaluation reads a counter only when it holds the window it
needs, else computes it from history (``chalicelib.segments.evaluate``).

Property filters (also the engine of field conditions): a property is read by name, ``a.b`` reading a nested
one. Its type is taken from the filter's value: a number compares numerically (a numeric text property too), a
boolean as a boolean (``"true"``/``"false"`` too), anything else as text (a number property as its text). Text
``eq``/``ne``/``in``/``notIn``/ordering are case-sensitive; ``contains``/``startsWith``/``endsWith`` ignore case. A
list property matches when any element does (``ne``/``notIn``: when no element is equal / in the list). A
missing property (absent, null, ``""``, ``[]``) matches only ``isEmpty``, ``ne`` and ``notIn``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib.events.models import Event
from chalicelib.segments import timing
from chalicelib.segments.rules import (
    MESSAGE_EVENTS,
    Ago,
    Between,
    Comparison,
    Condition,
    EventCondition,
    MessageCondition,
    PropertyFilter,
    Window,
    leaves,
)
from chalicelib.validation import OLDEST_TIMESTAMP

KEY = "segmentCounters"
CounterUnit = Literal["day", "hour", "all", "period"]
Kind = Literal["string", "number", "boolean", "date", "datetime"]
NEGATIVE_OPS = ("ne", "notIn")
ORDERING_OPS = ("gt", "gte", "lt", "lte", "between", "before", "after")
TEXT_OPS = ("contains", "startsWith", "endsWith")


# --- values and operators -----------------------------------------------------------------------------------------


def is_missing(raw: Any) -> bool:
    """Absent, null, empty text or an empty list or object."""
    return raw is None or raw == "" or (isinstance(raw, list | tuple | dict) and not raw)


def as_kind(raw: Any, kind: Kind) -> Any:
    """``raw`` read as a value of ``kind``: Decimal, bool, str, date or aware UTC datetime; None when it cannot
    be read so."""
    if kind == "number":
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int | Decimal):
            number = Decimal(raw)
        elif isinstance(raw, float):
            number = Decimal(str(raw))
        elif isinstance(raw, str):
            try:
                number = Decimal(raw.strip())
            except InvalidOperation:
                return None
        else:
            return None
        return number if number.is_finite() else None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return None
    if kind == "string":
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
            return str(raw)
        return None
    if kind == "date":
        return timing.parse_date(raw)
    return timing.parse_instant(raw)


def _operand(raw: Any, kind: Kind) -> Any:
    """A condition's value as ``kind``; for date-times a date without a time stays a date (it compares the
    stored time's local date)."""
    if kind == "datetime" and timing.is_date_only(raw):
        return timing.parse_date(raw)
    return as_kind(raw, kind)


def _compare(kind: Kind, stored: Any, operand: Any, tz: tzinfo) -> int | None:
    """-1, 0 or 1 as ``stored`` is below, equal to or above ``operand``; None when they cannot be compared."""
    if stored is None or operand is None:
        return None
    if kind == "datetime" and isinstance(operand, date) and not isinstance(operand, datetime):
        stored = timing.local_date(stored, tz)
    try:
        return int(stored > operand) - int(stored < operand)
    except TypeError:
        return None


def _equal(kind: Kind, stored: Any, operand: Any, tz: tzinfo) -> bool:
    return _compare(kind, stored, _operand(operand, kind), tz) == 0


def _scalar(op: str, kind: Kind, stored: Any, operand: Any, tz: tzinfo) -> bool:
    """A positive operator on one present value."""
    if op == "eq":
        return _equal(kind, stored, operand, tz)
    if op == "in":
        return isinstance(operand, list) and any(_equal(kind, stored, v, tz) for v in operand)
    if op in TEXT_OPS:
        if kind != "string" or not isinstance(operand, str) or not isinstance(stored, str):
            return False
        text, part = stored.casefold(), operand.casefold()
        if op == "contains":
            return part in text
        return text.startswith(part) if op == "startsWith" else text.endswith(part)
    if op in ORDERING_OPS:
        if kind == "boolean" or (op in ("before", "after") and kind not in ("date", "datetime")):
            return False
        if op == "between":
            if not isinstance(operand, list) or len(operand) != 2:
                return False
            low = _compare(kind, stored, _operand(operand[0], kind), tz)
            high = _compare(kind, stored, _operand(operand[1], kind), tz)
            return low is not None and high is not None and low >= 0 and high <= 0
        found = _compare(kind, stored, _operand(operand, kind), tz)
        if found is None:
            return False
        return {
            "gt": found > 0,
            "gte": found >= 0,
            "lt": found < 0,
            "lte": found <= 0,
            "before": found < 0,
            "after": found > 0,
        }[op]
    return False


def readable(raw: Any, kind: Kind) -> bool:
    """True when ``raw`` is present and (an element of it) reads as ``kind``."""
    if is_missing(raw):
        return False
    items = raw if isinstance(raw, list | tuple) else [raw]
    return any(as_kind(item, kind) is not None for item in items)


def value_test(op: str, kind: Kind, raw: Any, operand: Any, tz: tzinfo = UTC) -> bool:
    """A value operator (``eq`` ... ``isEmpty``, ``before``/``after``) on a stored value of ``kind``. A list
    value matches when any element does; ``ne``/``notIn`` are the negations of ``eq``/``in``. A missing value,
    or one that cannot be read as ``kind``, matches only ``isEmpty``, ``ne`` and ``notIn``."""
    missing = is_missing(raw)
    if op in ("isSet", "isEmpty"):
        return missing == (op == "isEmpty")
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    values = [v for v in (as_kind(item, kind) for item in ([] if missing else items)) if v is not None]
    if not values:
        return op in NEGATIVE_OPS
    if op in NEGATIVE_OPS:
        positive = "eq" if op == "ne" else "in"
        return not any(_scalar(positive, kind, v, operand, tz) for v in values)
    return any(_scalar(op, kind, v, operand, tz) for v in values)


def operand_kind(op: str, operand: Any) -> Kind:
    """The type a property is compared as, from the filter's value."""
    sample = operand[0] if isinstance(operand, list) and operand else operand
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int | float | Decimal):
        return "number"
    return "string"


def property_value(properties: Mapping[str, Any], name: str) -> Any:
    """A property by name; ``a.b`` reads ``b`` inside ``a`` (a top-level key spelled ``a.b`` when there is no
    such nesting)."""
    value: Any = properties
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return properties.get(name)
        value = value[part]
    return value


def matches(where: Sequence[PropertyFilter], event: Event) -> bool:
    """True when the event passes every filter."""
    return all(
        value_test(f.op, operand_kind(f.op, f.value), property_value(event.properties, f.property), f.value)
        for f in where
    )


# --- which counters -----------------------------------------------------------------------------------------------


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


# --- keeping them -------------------------------------------------------------------------------------------------


def history_start(spec: CounterSpec, now: datetime) -> datetime:
    """The oldest event time a backfill of ``spec`` needs to read."""
    if spec.unit in ("day", "hour"):
        unit: timing.Unit = "day" if spec.unit == "day" else "hour"
        return timing.bucket_start(timing.bucket_of(now, unit) - (spec.keep - 1), unit)
    if spec.unit == "period" and spec.period is not None:
        return spec.period[0]
    return OLDEST_TIMESTAMP


def empty_counter(spec: CounterSpec) -> dict[str, Any]:
    if spec.unit in ("day", "hour"):
        return {"k": spec.keep, "b": {}}
    return {"n": 0}


def as_count(value: Any) -> int:
    """A stored count (DynamoDB answers numbers as Decimal); 0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return 0
    return int(value) if math.isfinite(value) else 0


def _window_unit(spec: CounterSpec) -> timing.Unit:
    return "day" if spec.unit == "day" else "hour"


def _add(counter: dict[str, Any], spec: CounterSpec, at: datetime, now: datetime) -> None:
    if spec.unit in ("day", "hour"):
        unit = _window_unit(spec)
        index = timing.bucket_of(at, unit)
        if index < timing.bucket_of(now, unit) - (as_count(counter.get("k", spec.keep)) - 1):
            return
        buckets = counter.setdefault("b", {})
        key = timing.bucket_key(index, unit)
        buckets[key] = as_count(buckets.get(key, 0)) + 1
        return
    if spec.unit == "period":
        if spec.period is not None and spec.period[0] <= at < spec.period[1]:
            counter["n"] = as_count(counter.get("n", 0)) + 1
        return
    counter["n"] = as_count(counter.get("n", 0)) + 1
    text = timing.stamp(at)
    first, last = counter.get("first"), counter.get("last")
    counter["first"] = min(first, text) if isinstance(first, str) else text
    counter["last"] = max(last, text) if isinstance(last, str) else text


def counts(spec: CounterSpec, event: Event) -> bool:
    """True when ``event`` counts toward ``spec``'s counter."""
    return event.type == spec.event and matches(spec.where, event)


def fold(aggs: dict[str, Any], specs: Sequence[CounterSpec], event: Event, now: datetime) -> None:
    """Fold one new event into the counters the contact holds (in place); a counter it lacks stays absent
    (``backfill`` computes it from the history, which holds this event)."""
    held = aggs.get(KEY)
    if not isinstance(held, dict):
        return
    for spec in specs:
        counter = held.get(spec.id)
        if isinstance(counter, dict) and counts(spec, event):
            _add(counter, spec, event.timestamp, now)


def backfill(spec: CounterSpec, events: Iterable[Event], now: datetime) -> dict[str, Any]:
    """``spec``'s counter computed from the contact's event history (events of other types, failing the
    filters, or too old for the window are skipped)."""
    counter = empty_counter(spec)
    for event in events:
        if counts(spec, event):
            _add(counter, spec, event.timestamp, now)
    return counter


def usable(counter: Any, spec: CounterSpec, keep: int | None = None) -> bool:
    """True when a stored counter answers ``spec`` over ``keep`` buckets (default ``spec.keep``)."""
    if not isinstance(counter, dict):
        return False
    if spec.unit in ("day", "hour"):
        return isinstance(counter.get("b"), dict) and as_count(counter.get("k")) >= (
            spec.keep if keep is None else keep
        )
    return "n" in counter


def missing(aggs: Mapping[str, Any], specs: Iterable[CounterSpec]) -> list[CounterSpec]:
    """The registered counters the contact lacks (or holds too short): those to backfill."""
    held = aggs.get(KEY)
    held = held if isinstance(held, dict) else {}
    return [spec for spec in specs if not usable(held.get(spec.id), spec)]


def prune(aggs: dict[str, Any], registered: Sequence[CounterSpec], now: datetime) -> None:
    """Bound the counters, in place. ``registered`` must be every counter the active segments register:
    counters not in it are dropped, as are ``day``/``hour`` counters kept shorter than registered now (a
    backfill recomputes them); the others keep only the buckets their registered window needs."""
    held = aggs.get(KEY)
    if not isinstance(held, dict):
        return
    by_id = {spec.id: spec for spec in registered}
    for counter_id in list(held):
        spec = by_id.get(counter_id)
        counter = held[counter_id]
        if spec is None or not usable(counter, spec):
            del held[counter_id]
            continue
        if spec.unit not in ("day", "hour"):
            continue
        unit = _window_unit(spec)
        oldest = timing.bucket_of(now, unit) - (spec.keep - 1)
        kept = {}
        for key, n in counter["b"].items():
            index = timing.key_index(key, unit)
            if index is not None and index >= oldest and as_count(n) > 0:
                kept[key] = as_count(n)
        held[counter_id] = {"k": spec.keep, "b": kept}


def buckets(raw: Any, unit: timing.Unit) -> dict[int, int]:
    """Buckets (``{"YYYYMMDD[HH]": n}``: a counter's ``b``, or a built-in counter) by index; malformed entries
    are skipped."""
    found: dict[int, int] = {}
    if not isinstance(raw, Mapping):
        return found
    for key, n in raw.items():
        index = timing.key_index(key, unit)
        count = as_count(n)
        if index is not None and count > 0:
            found[index] = found.get(index, 0) + count
    return found


def occurrences(counter: Mapping[str, Any]) -> tuple[int, datetime | None, datetime | None]:
    """An ``all`` or ``period`` counter's count, and the first and last matching event times (``all``)."""
    return (
        as_count(counter.get("n")),
        timing.parse_instant(counter.get("first")),
        timing.parse_instant(counter.get("last")),
    )


def with_keep(spec: CounterSpec, keep: int) -> CounterSpec:
    return replace(spec, keep=keep)
