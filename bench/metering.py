"""Metering helpers for the ingestion benchmark (owns per-table write units, read units and call timing).

Write units come from ``chalicelib.storage.items.METER`` (DynamoDB's sizing rules, not moto's
ConsumedCapacity); these wrappers split them by table and time the calls that make them.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from chalicelib.storage.items import METER, Meter, item_size, serialize


class TableMeter(Meter):
    """Per-table counts that also feed the process-wide METER."""

    def request(self, operation: str, units: int = 0) -> None:
        super().request(operation, units)
        METER.request(operation, units)


class ReadUnits:
    """Read units of the contact loads by DynamoDB's rules (4 KB steps; 1 unit minimum, half when eventually
    consistent)."""

    def __init__(self) -> None:
        self.units = 0.0
        self.reads = 0

    def wrap(self, table: Any) -> None:

        original = table.get

        def get(key: dict[str, Any], consistent: bool = True) -> Any:
            item = original(key, consistent)
            size = item_size(serialize(item)) if item else 0
            self.units += max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)
            self.reads += 1
            return item

        table.get = get
        original_many = table.batch_get

        def batch_get(keys: list[dict[str, Any]]) -> Any:  # eventually consistent: half a unit per 4 KB
            items = original_many(keys)
            self.units += sum(0.5 * max(1, math.ceil(item_size(serialize(i)) / 4096)) for i in items)
            self.reads += len(items)
            return items

        table.batch_get = batch_get

    def reset(self) -> None:
        self.units, self.reads = 0.0, 0


class OpTimes:
    """Wall time spent inside each table call, to split the consumer's time by operation."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()

    def wrap(self, table: Any, label: str, methods: tuple[str, ...]) -> None:
        for name in methods:
            original = getattr(table, name)

            def timed(*args: Any, _original: Any = original, _key: str = f"{label}.{name}", **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_key] += time.perf_counter() - start

            setattr(table, name, timed)

    def reset(self) -> None:
        self.seconds.clear()


class TimedCalls:
    """A client proxy that times one method (the rest pass through)."""

    def __init__(self, target: Any, method: str) -> None:
        self.target = target
        self.method = method
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.target, name)
        if name != self.method:
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed
