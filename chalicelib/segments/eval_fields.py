"""Field conditions: reading a contact field as its type, comparing it, and the relative date operators.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from chalicelib.contacts import keys
from chalicelib.segments import filters, timing
from chalicelib.segments.conditions import DAYS_OPS, FieldCondition
from chalicelib.segments.context import Context, LeafValue, plain
from chalicelib.segments.filters import Kind

RECORD_TIMES = {"createdAt": "created_at", "updatedAt": "updated_at"}
SCALAR_KIND: dict[str, Kind] = {
    "string": "string",
    "stringList": "string",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}


def _field_value(name: str, ctx: Context) -> tuple[Any, str]:
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


def field_leaf(cond: FieldCondition, ctx: Context) -> LeafValue:
    raw, ftype = _field_value(cond.field, ctx)
    kind = SCALAR_KIND[ftype]
    used: dict[str, Any] = {"value": plain(raw), "type": ftype}
    if kind in ("date", "datetime"):
        used["timeZone"] = timing.zone_name(ctx.tz)
    if cond.op in ("isSet", "isEmpty"):  # a value unreadable as its type is missing too
        return LeafValue(filters.readable(raw, kind) == (cond.op == "isSet"), used)
    if cond.op not in DAYS_OPS:
        return LeafValue(filters.value_test(cond.op, kind, raw, cond.value, ctx.tz), used)
    day = _local_day(raw, ftype, ctx.tz)
    if day is None:
        return LeafValue(False, used)
    used |= {"date": day.isoformat(), "today": ctx.today.isoformat()}
    days = cond.days or 0
    if cond.op == "anniversaryWithin":
        value, flip = _anniversary(day, ctx.today, days)
    else:
        value, flip = _relative(day, ctx.today, days, cond.op == "withinLast")
    return LeafValue(value, used, timing.day_start(flip, ctx.tz) if flip is not None else None)


def _local_day(raw: Any, ftype: str, tz: tzinfo) -> date | None:
    """The local date a date or date-time value falls on (None: missing, or not a date type)."""
    if filters.is_missing(raw):
        return None
    if ftype == "date":
        parsed = filters.as_kind(raw, "date")
        return parsed if isinstance(parsed, date) else None
    if ftype == "datetime":
        instant = filters.as_kind(raw, "datetime")
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
