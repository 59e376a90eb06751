"""Values that time alone may change, and the exact moment they next do: a ``Part`` (a value now, the
moments it may change and its value at a moment), their conjunction, a rolling window of buckets and an
``olderThan``/``newerThan`` test on a moment. The event and order conditions build their ``next_change`` from
these."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.segments import timing
from chalicelib.segments.conditions import Ago


@dataclass(frozen=True)
class Part:
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


def conjunction(parts: Sequence[Part]) -> Part:
    if len(parts) == 1:
        return parts[0]
    value = all(p.value for p in parts)
    timed = [p for p in parts if p.at is not None]
    if not timed:
        return Part(value)
    points = tuple(sorted({point for p in timed for point in p.points}))

    def at(moment: datetime) -> bool:
        return all(p.at(moment) if p.at is not None else p.value for p in parts)

    return Part(value, points, at)


def rolling(indexes: Iterable[int], unit: timing.Unit, size: int, now: datetime, truth: Callable[[int], bool]) -> Part:
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
    return Part(truth(current), points, lambda moment: truth(timing.bucket_of(moment, unit)))


def ago(moment: datetime | None, ago: Ago, now: datetime) -> Part:
    """``moment`` is ``olderThan`` (``<= now - d``) or ``newerThan`` (``> now - d``) a duration; false without a
    moment."""
    if moment is None:
        return Part(False)
    window = ago.olderThan if ago.olderThan is not None else ago.newerThan
    assert window is not None
    span = timing.duration(window)
    older = ago.olderThan is not None

    def at(when: datetime) -> bool:
        return (moment <= when - span) if older else (moment > when - span)

    flip = moment + span
    return Part(at(now), (flip,) if flip > now else (), at)
