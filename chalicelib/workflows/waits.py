"""How long a journey pauses: the moment a ``wait`` block ends and the seconds Step Functions waits for it.

Moments are computed in the contact's time zone (``timeZone``; UTC when absent or unknown). A local time that a
daylight-saving change skips is read with the offset before the change (02:30 becomes 03:30); one it repeats is
the first of the two. The seconds
handed to Step Functions are divided by the stage's time scale (``ORBIT_TIME_SCALE``: local runs watch a one-hour
wait in seconds), rounded up, so a pause is never shorter than asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from chalicelib.segments import timing
from chalicelib.workflows.blocks import WEEKDAYS, Until, UntilDate, Wait


def scaled(seconds: float, time_scale: float, *, at_least: int = 0) -> int:
    """Wall-clock seconds for ``seconds`` of journey time under ``time_scale``."""
    return max(at_least, math.ceil(max(0.0, seconds) / max(time_scale, 1e-9)))


def _local(day: date, at: str, tz: tzinfo) -> datetime:
    hour, minute = int(at[:2]), int(at[3:5])
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def until_moment(until: Until, now: datetime, tz: tzinfo) -> datetime:
    """The next moment after ``now`` at ``until.time`` (on ``until.weekday`` when given), local to ``tz``."""
    today = timing.local_date(now, tz)
    for ahead in range(0, 8):
        day = today + timedelta(days=ahead)
        if until.weekday is not None and WEEKDAYS[day.weekday()] != until.weekday:
            continue
        moment = _local(day, until.time, tz)
        if moment > now:
            return moment
    raise AssertionError("a weekday recurs within eight days")


def _read_date(raw: Any, at: str, tz: tzinfo) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        if len(raw) == 10:
            return _local(date.fromisoformat(raw), at, tz)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz).astimezone(UTC)


def date_moment(
    until: UntilDate, profile: Mapping[str, Any], fields: Mapping[str, Any], trigger: Mapping[str, Any], tz: tzinfo
) -> datetime | None:
    """The moment the field or trigger property names, moved by ``offsetDays``; None when it holds no date."""
    if until.field is not None:
        name = until.field
        source: Any = fields if name.startswith("fields.") else profile
        raw = timing_value(source, name.removeprefix("fields."))
    else:
        raw = timing_value(trigger.get("properties") or {}, str(until.property).removeprefix("properties."))
    moment = _read_date(raw, until.time, tz)
    return None if moment is None else moment + timedelta(days=until.offsetDays)


def timing_value(source: Mapping[str, Any], name: str) -> Any:
    value: Any = source
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def wait_ends(
    block: Wait, now: datetime, profile: Mapping[str, Any], fields: Mapping[str, Any], trigger: Mapping[str, Any]
) -> datetime:
    """When a ``wait`` block started at ``now`` ends (``now`` itself for a date that is missing or past)."""
    tz = timing.zone(profile.get("timeZone"))
    if block.duration is not None:
        return now + timedelta(seconds=block.duration.seconds)
    if block.until is not None:
        return until_moment(block.until, now, tz)
    assert block.untilDate is not None
    moment = date_moment(block.untilDate, profile, fields, trigger, tz)
    return now if moment is None or moment < now else moment
