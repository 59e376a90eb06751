"""Materialised counters as the contact holds them: folding each new event in, computing a missing one from
the event history, pruning, and reading them back. Which counters a segment registers: ``counter_specs``.

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
needs, else computes it from history (``chalicelib.segments.context``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.events.models import Event
from chalicelib.segments import timing
from chalicelib.segments.counter_specs import CounterSpec
from chalicelib.segments.filters import matches
from chalicelib.validation import OLDEST_TIMESTAMP

KEY = "segmentCounters"


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
