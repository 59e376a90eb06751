"""What a rule may read about one contact, and what every condition family shares while evaluating it.

``Facts`` is the input (the stored record, ``now``, the lists and segments the contact is in, the declared field
types, and optionally its event history and orders); ``Context`` is one evaluation over them (the contact's time
zone and local today, and the counters and order days computed once, raising ``MissingData`` when the facts
cannot provide them). ``LeafValue`` is what a leaf condition answers; ``comparator``, ``as_decimal`` and
``plain`` compare counts and amounts and make stored values JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.contacts import aggregates
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event
from chalicelib.segments import counters, timing
from chalicelib.segments.counter_specs import CounterSpec

History = Callable[[str, datetime], Iterable[Event]]


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
class LeafValue:
    """What a leaf condition answers: its value, the data it used, and when time alone may next change it."""

    value: bool
    used: dict[str, Any]
    next_change: datetime | None = None


class Context:
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
                    parsed.setdefault(index, {})[currency] = (n, as_decimal(entry.get("r")))
        self._order_days = parsed
        return parsed


def comparator(op: str, value: Any) -> Callable[[int | Decimal | None], bool]:
    """A count or amount compared with ``value`` (``eq`` ... ``between`` inclusive); None compares false."""
    if op == "between":
        low, high = (as_decimal(v) for v in value)
        return lambda x: x is not None and low <= x <= high
    y = as_decimal(value)
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


def as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value)) if math.isfinite(value) else Decimal(0)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return Decimal(0)


def plain(value: Any) -> Any:
    """A value as JSON can hold it (stored numbers may be Decimal)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
