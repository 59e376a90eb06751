"""Evaluating a segment rule for one contact: membership, the next moment time alone may change it, and why.

``evaluate(rule, exclude, facts)`` reads only ``facts``: the stored contact record and the moment ``now``, the
lists and other segments the contact is in, the declared field types, and (for a counter the record does not
hold yet) the contact's event history. It is pure: no storage, no clock.

Membership: the rule holds and the exclusion (if any) does not.

Fields ``{"field": name, "op": ..., "value" | "days": ...}``
  * Values: ``email``, ``phone``, ``firstName``, ``lastName``, ``languageCode``, ``timeZone`` from the profile;
    ``address.country|region|town|postcode`` from its address; ``externalId`` from the contact's key;
    ``createdAt``/``updatedAt`` (date-times) from the record; ``fields.<name>`` from the additional fields.
  * Types: standard fields are text, ``createdAt``/``updatedAt`` date-times; ``fields.<name>`` has its declared
    type. A field with no declaration (a removed one keeps its values) is typed by its value: a boolean, a
    number, a list (stringList), a text that is an ISO date (``2024-05-31``: date) or date-time (datetime),
    else text.
  * Missing: a value that is absent, null, ``""`` or ``[]``, or that cannot be read as its type, is missing.
    ``isSet`` is true when the value is not missing, ``isEmpty`` when it is. A missing value is false for every
    other operator except ``ne`` and ``notIn``, which are the negations of ``eq`` and ``in`` and so true (as
    eSputnik's "≠": a contact without a city is "not in Kyiv").
  * Text: ``eq``, ``ne``, ``in``, ``notIn`` and the orderings (``gt`` ... ``between``, by code point) are
    case-sensitive; ``contains``, ``startsWith``, ``endsWith`` ignore case. A number value is compared as its
    text.
  * Number: numerically (a numeric text value too); text operators are false. Boolean: ``eq``, ``ne``,
    ``in``, ``notIn`` only (``"true"``/``"false"`` accepted); the others are false.
  * stringList: every operator but ``ne``/``notIn`` holds when any element satisfies it; ``ne``/``notIn`` when
    no element is equal / in the list.
  * date: compared as calendar dates. datetime: compared as instants; a value without a time
    (``2024-05-31``) compares the date-time's local date in the contact's time zone. ``before``/``after`` are
    ``lt``/``gt`` for dates and date-times (false for other types).
  * Relative dates, in the contact's time zone (``profile.timeZone``, else UTC): "today" is the contact's
    local date at ``now``, and a date-time is taken at its local date. ``withinLast N``: the date is in
    ``[today - N, today]``; ``withinNext N``: in ``[today, today + N]``; ``anniversaryWithin N``: the date's
    month and day fall in ``[today, today + N]`` (29 February is 28 February in years without it; N >= 365 is
    always true). Each changes only at a local midnight, and ``next_change`` is that exact midnight (a
    birthday segment re-evaluates a contact when its own window opens or closes, not daily).

Events ``{"event": type, "where", "count", "within" | "between", "first", "last"}``
  * Matching events: of the type, passing every ``where`` filter (``chalicelib.segments.counters`` describes
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

``inList``/``inSegment``: the list / segment id is in ``facts.lists`` / ``facts.segments``.

Channels ``{"channel": ch, "status": ...}``: available = the contact can be reached there: ``email`` a
profile email, ``sms`` a phone, ``viber`` an active Viber identifier or a phone (Viber business messages are
addressed by phone number), ``telegram``/``mobilepush``/``webpush``/``appinbox`` an active identifier of that
type in ``channels``. ``unsubscribed`` = available and ``profile.consent[ch].status == "unsubscribed"``;
``subscribed`` = available and not unsubscribed; ``unavailable`` = not available.

Groups: ``all``, ``any``, ``not``. A group's ``next_change`` is a lower bound: a true ``all`` (false ``any``)
may flip when its first child does (the earliest child moment); a false ``all`` (true ``any``) only once every
false (true) child has flipped (the latest of their moments, None when one of them never flips with time).

Explanation: one node per condition, with its path as rule errors name it (``rule``, ``rule.all[2]``,
``exclude.any[0].not``), its value, the data it used and its own ``next_change``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event
from chalicelib.orders.money import quantize
from chalicelib.segments import counters, timing
from chalicelib.segments.counters import CounterSpec, Kind
from chalicelib.segments.rules import (
    DAYS_OPS,
    Ago,
    AllGroup,
    AnyGroup,
    ChannelCondition,
    Condition,
    EventCondition,
    FieldCondition,
    ListCondition,
    MessageCondition,
    NotGroup,
    OrdersCondition,
    SegmentCondition,
    dump,
)

History = Callable[[str, datetime], Iterable[Event]]
RECORD_TIMES = {"createdAt": "created_at", "updatedAt": "updated_at"}
SCALAR_KIND: dict[str, Kind] = {
    "string": "string",
    "stringList": "string",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


class MissingData(LookupError):
    """A condition needs data the record does not hold and the facts do not provide."""


@dataclass(frozen=True)
class Facts:
    """What a rule may read about one contact at one moment."""

    record: ContactRecord
    now: datetime  # aware
    lists: frozenset[str] = frozenset()  # ids of the lists the contact is in
    segments: frozenset[str] = frozenset()  # ids of the other segments it is a member of
    field_types: Mapping[str, str] = field(default_factory=dict)  # declared additional field name -> type
    history: History | None = None  # the contact's events of a type timed at or after a moment, oldest first
    counter_window_days: int = 90
    # the contact's counting orders, for a contact whose order days are unknown (counted before they existed)
    orders: Callable[[], Iterable[OrderDelta]] | None = None


@dataclass(frozen=True)
class Explained:
    """One condition's verdict: where it is in the rule, its value, the data it used and the earliest moment
    time alone may change its value (None: only new data can)."""

    path: str
    kind: str
    value: bool
    used: dict[str, Any]
    next_change: datetime | None
    children: tuple[Explained, ...] = ()
    condition: Condition | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The explain API's JSON for this node and its children."""
        return {
            "path": self.path,
            "condition": dump(self.condition) if self.condition is not None else None,
            "value": self.value,
            "used": self.used,
            "nextChange": iso(self.next_change) if self.next_change is not None else None,
            "children": [child.as_dict() for child in self.children],
        }


@dataclass(frozen=True)
class Verdict:
    member: bool  # the rule holds and the exclusion (if any) does not
    next_change: datetime | None  # the earliest moment time alone may change ``member`` (None: only new data)
    explanation: tuple[Explained, ...]  # the rule's tree, then the exclusion's


def evaluate(rule: Condition, exclude: Condition | None, facts: Facts) -> Verdict:
    """The contact's membership at ``facts.now``, when time alone may next change it, and why."""
    ctx = _Context(facts)
    included = _node(rule, "rule", ctx)
    if exclude is None:
        return Verdict(included.value, included.next_change, (included,))
    excluded = _node(exclude, "exclude", ctx)
    member, moment = _all([(included.value, included.next_change), (not excluded.value, excluded.next_change)])
    return Verdict(member, moment, (included, excluded))


# --- groups ---------------------------------------------------------------------------------------------------


def _all(children: Sequence[tuple[bool, datetime | None]]) -> tuple[bool, datetime | None]:
    """An ``all`` group's value and the earliest moment it may flip."""
    value = all(v for v, _ in children)
    if value:
        return True, _earliest(m for _, m in children)
    return False, _latest([m for v, m in children if not v])


def _any(children: Sequence[tuple[bool, datetime | None]]) -> tuple[bool, datetime | None]:
    value = any(v for v, _ in children)
    if value:
        return True, _latest([m for v, m in children if v])
    return False, _earliest(m for _, m in children)


def _earliest(moments: Iterable[datetime | None]) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def _latest(moments: list[datetime | None]) -> datetime | None:
    """The latest moment, or None when one of them is None (that child never flips with time alone)."""
    if not moments or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None)


def _node(condition: Condition, path: str, ctx: _Context) -> Explained:
    if isinstance(condition, AllGroup | AnyGroup):
        kind = "all" if isinstance(condition, AllGroup) else "any"
        items = condition.all if isinstance(condition, AllGroup) else condition.any
        kids = tuple(_node(child, f"{path}.{kind}[{i}]", ctx) for i, child in enumerate(items))
        pairs = [(k.value, k.next_change) for k in kids]
        value, moment = _all(pairs) if kind == "all" else _any(pairs)
        return Explained(path, kind, value, {}, moment, kids, condition)
    if isinstance(condition, NotGroup):
        inner = _node(condition.not_, f"{path}.not", ctx)
        return Explained(path, "not", not inner.value, {}, inner.next_change, (inner,), condition)
    kind, leaf = _leaf(condition, path, ctx)
    return Explained(path, kind, leaf.value, leaf.used, leaf.next_change, (), condition)


@dataclass(frozen=True)
class _Leaf:
    value: bool
    used: dict[str, Any]
    next_change: datetime | None = None


def _leaf(condition: Condition, path: str, ctx: _Context) -> tuple[str, _Leaf]:
    if isinstance(condition, FieldCondition):
        return "field", _field(condition, ctx)
    if isinstance(condition, EventCondition):
        return "event", _event(condition, path, ctx)
    if isinstance(condition, MessageCondition):
        return "message", _event(condition, path, ctx)
    if isinstance(condition, OrdersCondition):
        return "orders", _orders(condition, path, ctx)
    if isinstance(condition, ListCondition):
        return "inList", _Leaf(condition.inList in ctx.facts.lists, {"list": condition.inList})
    if isinstance(condition, SegmentCondition):
        return "inSegment", _Leaf(condition.inSegment in ctx.facts.segments, {"segment": condition.inSegment})
    if isinstance(condition, ChannelCondition):
        return "channel", _channel(condition, ctx)
    raise TypeError(f"not a condition: {type(condition).__name__}")


class _Context:
    """One evaluation: the facts, the contact's time zone and local today, and counters computed from history
    (each once)."""

    def __init__(self, facts: Facts) -> None:
        if facts.now.tzinfo is None:
            raise ValueError("Facts.now must be an aware time")
        self.facts = facts
        self.now = facts.now.astimezone(UTC)
        self.tz = timing.zone(facts.record.profile.get("timeZone"))
        self.today = timing.local_date(self.now, self.tz)
        self.aggs: Mapping[str, Any] = facts.record.aggs or {}
        self._computed: dict[tuple[str, int], dict[str, Any]] = {}
        self._order_days: dict[int, dict[str, tuple[int, Decimal]]] | None = None

    def counter(self, spec: CounterSpec, path: str) -> tuple[Mapping[str, Any], str]:
        """The counter answering ``spec`` and where it came from: the record, or the event history."""
        held = self.aggs.get(counters.KEY)
        stored = held.get(spec.id) if isinstance(held, Mapping) else None
        if counters.usable(stored, spec):
            assert isinstance(stored, Mapping)
            return stored, "counter"
        cached = self._computed.get((spec.id, spec.keep))
        if cached is None:
            if self.facts.history is None:
                raise MissingData(
                    f"{path}: the contact holds no counter {spec.id} ({spec.event!r}, {spec.unit}) and no event"
                    " history was given to compute it from"
                )
            history = self.facts.history(spec.event, counters.history_start(spec, self.now))
            cached = counters.backfill(spec, history, self.now)
            self._computed[(spec.id, spec.keep)] = cached
        return cached, "history"

    def order_days(self, path: str) -> dict[int, dict[str, tuple[int, Decimal]]]:
        if self._order_days is not None:
            return self._order_days
        days = aggregates.order_days(dict(self.aggs))
        if days is None:
            if self.facts.orders is None:
                raise MissingData(
                    f"{path}: the contact's orders were counted before order days were kept, and its orders were"
                    " not given to count them again"
                )
            scratch: dict[str, Any] = {}
            aggregates.recount_orders(scratch, list(self.facts.orders()))
            days = aggregates.order_days(scratch) or {}
        parsed: dict[int, dict[str, tuple[int, Decimal]]] = {}
        for key, entries in days.items():
            index = timing.key_index(key, "day")
            if index is None or not isinstance(entries, Mapping):
                continue
            for currency, entry in entries.items():
                n = counters.as_count(entry.get("n")) if isinstance(entry, Mapping) else 0
                if n > 0:
                    parsed.setdefault(index, {})[currency] = (n, _decimal(entry.get("r")))
        self._order_days = parsed
        return parsed


# --- time-dependent values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """A value that may change with time: its value now, the moments after now where it may change (sorted),
    and its value at a moment (None: it never changes)."""

    value: bool
    points: tuple[datetime, ...] = ()
    at: Callable[[datetime], bool] | None = None

    def next_change(self) -> datetime | None:
        """The first of ``points`` where the value differs from now's: exact."""
        if self.at is None:
            return None
        return next((p for p in self.points if self.at(p) != self.value), None)


def _conjunction(parts: Sequence[_Part]) -> _Part:
    if len(parts) == 1:
        return parts[0]
    value = all(p.value for p in parts)
    timed = [p for p in parts if p.at is not None]
    if not timed:
        return _Part(value)
    points = tuple(sorted({point for p in timed for point in p.points}))

    def at(moment: datetime) -> bool:
        return all(p.at(moment) if p.at is not None else p.value for p in parts)

    return _Part(value, points, at)


def _rolling(
    indexes: Iterable[int], unit: timing.Unit, size: int, now: datetime, truth: Callable[[int], bool]
) -> _Part:
    """A rolling window of ``size`` buckets ending at the current one, over buckets holding data at
    ``indexes``: ``truth(c)`` is the value when ``c`` is the current bucket. It may change only when a bucket
    with data leaves (``index + size``) or, ahead of now, enters (``index``)."""
    current = timing.bucket_of(now, unit)
    moments: set[int] = set()
    for index in indexes:
        if index + size > current:
            moments.add(index + size)
        if index > current:
            moments.add(index)
    points = tuple(timing.bucket_start(m, unit) for m in sorted(moments))
    return _Part(truth(current), points, lambda moment: truth(timing.bucket_of(moment, unit)))


def _ago(moment: datetime | None, ago: Ago, now: datetime) -> _Part:
    """``moment`` is ``olderThan`` (``<= now - d``) or ``newerThan`` (``> now - d``) a duration; false without a
    moment."""
    if moment is None:
        return _Part(False)
    window = ago.olderThan if ago.olderThan is not None else ago.newerThan
    assert window is not None
    span = timing.duration(window)
    older = ago.olderThan is not None

    def at(when: datetime) -> bool:
        return (moment <= when - span) if older else (moment > when - span)

    flip = moment + span
    return _Part(at(now), (flip,) if flip > now else (), at)


def _comparator(op: str, value: Any) -> Callable[[int | Decimal | None], bool]:
    """A count or amount compared with ``value`` (``eq`` ... ``between`` inclusive); None compares false."""
    if op == "between":
        low, high = (_decimal(v) for v in value)
        return lambda x: x is not None and low <= x <= high
    y = _decimal(value)
    tests: dict[str, Callable[[int | Decimal], bool]] = {
        "eq": lambda x: x == y,
        "ne": lambda x: x != y,
        "gt": lambda x: x > y,
        "gte": lambda x: x >= y,
        "lt": lambda x: x < y,
        "lte": lambda x: x <= y,
    }
    test = tests.get(op)
    return lambda x: x is not None and test is not None and test(x)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value)) if math.isfinite(value) else Decimal(0)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return Decimal(0)


# --- fields ---------------------------------------------------------------------------------------------------


def _field_value(name: str, ctx: _Context) -> tuple[Any, str]:
    """A field's stored value and its type."""
    record = ctx.facts.record
    if name == "externalId":
        return keys.external_id(record.key), "string"
    if name in RECORD_TIMES:
        return getattr(record, RECORD_TIMES[name]) or None, "datetime"
    if name.startswith("address."):
        address = record.profile.get("address")
        return (address.get(name[8:]) if isinstance(address, Mapping) else None), "string"
    if name.startswith("fields."):
        raw = record.fields.get(name[7:])
        declared = ctx.facts.field_types.get(name[7:])
        return raw, declared if declared in SCALAR_KIND else _guess(raw)
    return record.profile.get(name), "string"


def _guess(raw: Any) -> str:
    """The type of an undeclared field's value."""
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int | float | Decimal):
        return "number"
    if isinstance(raw, list | tuple):
        return "stringList"
    if isinstance(raw, str):
        if timing.is_date_only(raw):
            return "date"
        if "T" in raw and timing.parse_instant(raw) is not None:
            return "datetime"
    return "string"


def _field(cond: FieldCondition, ctx: _Context) -> _Leaf:
    raw, ftype = _field_value(cond.field, ctx)
    kind = SCALAR_KIND[ftype]
    used: dict[str, Any] = {"value": _plain(raw), "type": ftype}
    if kind in ("date", "datetime"):
        used["timeZone"] = timing.zone_name(ctx.tz)
    if cond.op in ("isSet", "isEmpty"):  # a value unreadable as its type is missing too
        return _Leaf(counters.readable(raw, kind) == (cond.op == "isSet"), used)
    if cond.op not in DAYS_OPS:
        return _Leaf(counters.value_test(cond.op, kind, raw, cond.value, ctx.tz), used)
    day = _local_day(raw, ftype, ctx.tz)
    if day is None:
        return _Leaf(False, used)
    used |= {"date": day.isoformat(), "today": ctx.today.isoformat()}
    days = cond.days or 0
    if cond.op == "anniversaryWithin":
        value, flip = _anniversary(day, ctx.today, days)
    else:
        value, flip = _relative(day, ctx.today, days, cond.op == "withinLast")
    return _Leaf(value, used, timing.day_start(flip, ctx.tz) if flip is not None else None)


def _local_day(raw: Any, ftype: str, tz: tzinfo) -> date | None:
    """The local date a date or date-time value falls on (None: missing, or not a date type)."""
    if counters.is_missing(raw):
        return None
    if ftype == "date":
        parsed = counters.as_kind(raw, "date")
        return parsed if isinstance(parsed, date) else None
    if ftype == "datetime":
        instant = counters.as_kind(raw, "datetime")
        return timing.local_date(instant, tz) if isinstance(instant, datetime) else None
    return None


def _relative(day: date, today: date, days: int, last: bool) -> tuple[bool, date | None]:
    """``withinLast`` (today in ``[day, day + days]``) or ``withinNext`` (today in ``[day - days, day]``), and the
    local day its value next changes."""
    try:
        first, final = (day, day + timedelta(days=days)) if last else (day - timedelta(days=days), day)
    except OverflowError:
        return False, None
    if today < first:
        return False, first
    if today <= final:
        try:
            return True, final + timedelta(days=1)
        except OverflowError:
            return True, None
    return False, None


def _anniversary(day: date, today: date, days: int) -> tuple[bool, date | None]:
    """``anniversaryWithin``: the next anniversary of ``day`` is at most ``days`` away; and the local day the
    value next changes."""
    if days >= 365:  # anniversaries are at most 366 days apart: one is always within 365 days
        return True, None
    coming = timing.next_anniversary(day.month, day.day, today)
    if (coming - today).days > days:
        return False, coming - timedelta(days=days)
    while True:  # true until the day after an anniversary from which the next one is too far
        after = coming + timedelta(days=1)
        following = timing.next_anniversary(day.month, day.day, after)
        if (following - after).days > days:
            return True, after
        coming = following


# --- events ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventPlan:
    """What an event condition reads, worked out once per condition (not per contact)."""

    query: counters.Query
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
    q = counters.query(cond)
    plan = _EventPlan(
        q, counters.count_spec(q, window_days), counters.occurrence_spec(q), _comparator(q.count.op, q.count.value)
    )
    _PLANS[key] = (cond, plan)
    return plan


def _event(cond: EventCondition | MessageCondition, path: str, ctx: _Context) -> _Leaf:
    plan = _plan(cond, ctx.facts.counter_window_days)
    q, count_spec, test = plan.query, plan.count, plan.test
    used: dict[str, Any] = {"event": q.event}
    parts: list[_Part] = []
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
            parts.append(_Part(test(n)))
    occurrence = plan.occurrence
    if occurrence is not None:
        counter, _ = ctx.counter(occurrence, path)
        _, first, last = counters.occurrences(counter)
        for name, ago, moment in (("first", q.first, first), ("last", q.last, last)):
            if ago is not None:
                used[name] = iso(moment) if moment is not None else None
                parts.append(_ago(moment, ago, ctx.now))
    part = _conjunction(parts)
    return _Leaf(part.value, used, part.next_change())


def _windowed(
    found: dict[int, int],
    unit: timing.Unit,
    size: int,
    now: datetime,
    test: Callable[[int | Decimal | None], bool],
    used: dict[str, Any],
) -> _Part:
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
    return _rolling(indexes, unit, size, now, lambda c: test(total(c)))


# --- orders ---------------------------------------------------------------------------------------------------


def _orders(cond: OrdersCondition, path: str, ctx: _Context) -> _Leaf:
    orders = ctx.aggs.get("orders") or {}
    if cond.orders in ("lastOrderAt", "firstOrderAt"):
        return _order_time(cond, orders, ctx)
    used: dict[str, Any] = {"measure": cond.orders}
    if cond.currency:
        used["currency"] = cond.currency
    if cond.within is not None:
        return _orders_within(cond, path, ctx, used)
    counts = aggregates.order_counts(dict(ctx.aggs))
    revenue = {c: _decimal(v) for c, v in (orders.get("revenue") or {}).items()}
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
    used["value"] = _plain(measure)
    return _Leaf(_comparator(cond.op or "", cond.value)(measure), used)


def _orders_within(cond: OrdersCondition, path: str, ctx: _Context, used: dict[str, Any]) -> _Leaf:
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
        "value": _plain(measure(current)),
        "from": timing.bucket_text(current - size + 1, "day"),
        "to": timing.bucket_text(current + 1, "day"),
    }
    test = _comparator(cond.op or "", cond.value)
    part = _rolling(indexes, "day", size, ctx.now, lambda c: test(measure(c)))
    return _Leaf(part.value, used, part.next_change())


def _order_time(cond: OrdersCondition, orders: Mapping[str, Any], ctx: _Context) -> _Leaf:
    stored = aggregates.stored_time(dict(orders), "lastAt" if cond.orders == "lastOrderAt" else "firstAt")
    moment = timing.parse_instant(stored)
    used: dict[str, Any] = {"measure": cond.orders, "value": stored}
    if cond.ago is not None:
        part = _ago(moment, cond.ago, ctx.now)
        return _Leaf(part.value, used, part.next_change())
    if cond.op in ("before", "after") and timing.is_date_only(cond.value):
        used["timeZone"] = timing.zone_name(ctx.tz)
    return _Leaf(counters.value_test(cond.op or "", "datetime", stored, cond.value, ctx.tz), used)


# --- channels -------------------------------------------------------------------------------------------------


def _channel(cond: ChannelCondition, ctx: _Context) -> _Leaf:
    record = ctx.facts.record
    profile = record.profile
    identifiers = [
        c
        for c in record.channels
        if isinstance(c, Mapping) and c.get("type") == cond.channel and c.get("active", True) is not False
    ]
    if cond.channel == "email":
        available = not counters.is_missing(profile.get("email"))
    elif cond.channel == "sms":
        available = not counters.is_missing(profile.get("phone"))
    elif cond.channel == "viber":
        available = bool(identifiers) or not counters.is_missing(profile.get("phone"))
    else:
        available = bool(identifiers)
    consent = profile.get("consent")
    entry = consent.get(cond.channel) if isinstance(consent, Mapping) else None
    status = entry.get("status") if isinstance(entry, Mapping) else None
    unsubscribed = available and status == "unsubscribed"
    value = {
        "available": available,
        "unavailable": not available,
        "subscribed": available and not unsubscribed,
        "unsubscribed": unsubscribed,
    }[cond.status]
    return _Leaf(value, {"available": available, "consent": status})


def _plain(value: Any) -> Any:
    """A value as JSON can hold it (stored numbers may be Decimal)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
