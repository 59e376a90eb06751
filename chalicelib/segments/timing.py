"""Dates and times for segment rules: the contact's time zone and local days, anniversaries, UTC buckets of
days and hours, and time stamps that sort as text.

Local days: a contact's "today" is the date on its wall clock (``profile.timeZone``, else UTC). A local day
starts at the first instant whose local date is that day (``day_start``), so a day whose midnight a
daylight-saving change skips starts when the clock jumps.

Buckets: event and order counts are kept per UTC day (``YYYYMMDD``) or UTC hour (``YYYYMMDDHH``). A bucket is
numbered by its index (days since 0001-01-01, or hours since then), so windows are ranges of integers.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.segments.conditions import Window

Unit = Literal["day", "hour"]
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return UTC


def zone(name: Any) -> tzinfo:
    """The time zone named (an IANA name), else UTC (absent, empty or unknown)."""
    return _zone(name) if isinstance(name, str) and name else UTC


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or "UTC"


def local_date(ts: datetime, tz: tzinfo) -> date:
    """The date on the wall clock of ``tz`` at instant ``ts``."""
    return ts.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant (UTC) whose local date in ``tz`` is ``day``. A midnight skipped by a daylight-saving
    change resolves to the instant the clock jumps (``fold=0`` takes the offset before the change)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def anniversary(month: int, day: int, year: int) -> date:
    """``month``/``day`` in ``year``; 29 February is 28 February in a year without it."""
    if month == 2 and day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


def next_anniversary(month: int, day: int, today: date) -> date:
    """The first anniversary of ``month``/``day`` on or after ``today``."""
    this_year = anniversary(month, day, today.year)
    return this_year if this_year >= today else anniversary(month, day, today.year + 1)


def parse_instant(text: Any) -> datetime | None:
    """An ISO 8601 text as an aware UTC instant (no offset: UTC), or None when it cannot be read."""
    if isinstance(text, datetime):
        parsed = text
    elif isinstance(text, str):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_date(text: Any) -> date | None:
    """An ISO 8601 date (``2024-05-31``), or the date part of a date-time as written; None when unreadable."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def is_date_only(text: Any) -> bool:
    """True for a calendar date without a time (``2024-05-31``)."""
    if not isinstance(text, str) or len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def duration(window: Window) -> timedelta:
    """A window as an exact amount of time (``days`` of 24 hours, or ``hours``)."""
    return timedelta(days=window.days) if window.days is not None else timedelta(hours=window.hours or 0)


# --- buckets ------------------------------------------------------------------------------------------------------


def bucket_of(ts: datetime, unit: Unit) -> int:
    """The index of the UTC day or hour holding instant ``ts``."""
    utc = ts.astimezone(UTC)
    days = utc.date().toordinal()
    return days if unit == "day" else days * 24 + utc.hour


def bucket_start(index: int, unit: Unit) -> datetime:
    """The first instant of bucket ``index``."""
    if unit == "day":
        return datetime.combine(date.fromordinal(index), time(0), tzinfo=UTC)
    return datetime.combine(date.fromordinal(index // 24), time(index % 24), tzinfo=UTC)


def bucket_key(index: int, unit: Unit) -> str:
    """``YYYYMMDD`` (day) or ``YYYYMMDDHH`` (hour)."""
    if unit == "day":
        return date.fromordinal(index).strftime("%Y%m%d")
    return date.fromordinal(index // 24).strftime("%Y%m%d") + f"{index % 24:02d}"


def bucket_text(index: int, unit: Unit) -> str:
    """The first instant of bucket ``index`` as the API writes times (``2026-11-27T10:00:00.000Z``)."""
    day = date.fromordinal(index if unit == "day" else index // 24)
    hour = 0 if unit == "day" else index % 24
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}T{hour:02d}:00:00.000Z"


def key_index(key: Any, unit: Unit) -> int | None:
    """The index of a bucket key, or None when it is not a well-formed key of that unit."""
    if not isinstance(key, str):
        return None
    return _key_index(key, unit)


@functools.lru_cache(maxsize=8192)
def _key_index(key: str, unit: Unit) -> int | None:
    width = 8 if unit == "day" else 10
    if len(key) != width or not key.isdigit():
        return None
    try:
        day = date(int(key[:4]), int(key[4:6]), int(key[6:8])).toordinal()
    except ValueError:
        return None
    if unit == "day":
        return day
    hour = int(key[8:])
    return day * 24 + hour if hour < 24 else None


# --- stamps -------------------------------------------------------------------------------------------------------


def stamp(ts: datetime) -> str:
    """An instant as UTC ISO 8601 with microseconds and a Z: fixed width, so stamps sort as text."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
