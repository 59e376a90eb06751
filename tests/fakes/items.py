"""Values as DynamoDB gives them back, so the fakes hand out what the adapters hand out.

A stored item loses its top-level ``None`` attributes, tuples come back as lists, sets as sets of strings,
and numbers as ``int`` when their text is integral (``"25"``, ``"1E+2"``) or ``float`` otherwise (``Decimal``
included). Everything comes back as a fresh copy, so callers never share state with the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.errors import InvalidInput


def stored_value(value: Any) -> Any:
    """``value`` after a write and a read (nested ``None`` survives)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput("numbers must be finite")
        text = repr(value) if isinstance(value, float) else str(value)
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() and "." not in text else float(number)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, Mapping):
        return {str(k): stored_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stored_value(v) for v in value]
    if isinstance(value, set):
        return {str(v) for v in value}
    raise TypeError(f"cannot store {type(value).__name__}")


def stored_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A whole item after a write and a read: top-level ``None`` attributes are not stored."""
    return {k: stored_value(v) for k, v in item.items() if v is not None}
