"""Injected time: the system clock, and a scaled clock for accelerated local runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Time that runs ``scale`` times faster than the wall clock from the moment it is created."""

    def __init__(self, scale: float) -> None:
        self._scale = scale
        self._start_wall = time.monotonic()
        self._start = datetime.now(UTC)

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._start_wall) * self._scale
        return self._start + timedelta(seconds=elapsed)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)


def iso(ts: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z, sortable as text."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
