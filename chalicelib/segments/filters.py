"""Property filters and value operators: how an event's ``where`` filters match it, and the engine of field
conditions (``chalicelib.segments.eval_fields``) too.

A property is read by name, ``a.b`` reading a nested one. Its type is taken from the filter's value: a number
compares numerically (a numeric text property too), a boolean as a boolean (``"true"``/``"false"`` too),
anything else as text (a number property as its text). Text ``eq``/``ne``/``in``/``notIn``/ordering are
case-sensitive; ``contains``/``startsWith``/``endsWith`` ignore case. A list property matches when any element
does (``ne``/``notIn``: when no element is equal / in the list). A missing property (absent, null, ``""``,
``[]``) matches only ``isEmpty``, ``ne`` and ``notIn``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib.events.models import Event
from chalicelib.segments import timing
from chalicelib.segments.conditions import PropertyFilter

Kind = Literal["string", "number", "boolean", "date", "datetime"]
NEGATIVE_OPS = ("ne", "notIn")
ORDERING_OPS = ("gt", "gte", "lt", "lte", "between", "before", "after")
TEXT_OPS = ("contains", "startsWith", "endsWith")


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
