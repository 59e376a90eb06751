"""DynamoDB items: (de)serialisation of attribute values, item sizes and write units by DynamoDB's own
rules, and the meter every table call reports to (moto's ConsumedCapacity is not faithful, so units are
counted from item sizes: 1 per started KB; the larger of old and new item for replacements)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.errors import InvalidInput

Item = dict[str, Any]


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput("numbers must be finite")
        return {"N": str(value) if not isinstance(value, float) else repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, set):
        return {"SS": sorted(str(v) for v in value)}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attr(attr: Mapping[str, Any]) -> Any:
    (kind, value), *_ = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() and "." not in value else float(number)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind in ("SS", "NS"):
        return set(value)
    if kind == "B":
        return bytes(value)
    raise TypeError(f"unknown attribute type {kind}")


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> Item:
    return {k: from_attr(v) for k, v in item.items()}


def _value_size(attr: Mapping[str, Any]) -> int:
    (kind, value), *_ = attr.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        digits = value.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    if kind == "SS":
        return sum(len(v.encode()) for v in value)
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes of a serialised item by DynamoDB's sizing rules."""
    return sum(len(k.encode()) + _value_size(v) for k, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


class Meter:
    """Counts AWS requests and DynamoDB write units; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.write_units = 0

    def request(self, operation: str, units: int = 0) -> None:
        with self._lock:
            self.requests[operation] += 1
            self.write_units += units

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.write_units = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": dict(self.requests), "writeUnits": self.write_units}


METER = Meter()
