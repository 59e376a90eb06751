"""Property filters over plain documents: a trigger's or stop rule's ``where`` on an event's properties, and a
condition block's ``where`` on ``{"trigger": ..., "vars": ...}``. The operators and their typing are the segment
rule language's (``chalicelib.segments.filters``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.segments.conditions import PropertyFilter
from chalicelib.segments.filters import operand_kind, property_value, value_test


def passes(where: Sequence[PropertyFilter], document: Mapping[str, Any]) -> bool:
    """True when ``document`` passes every filter (``a.b`` reads a nested value)."""
    return all(
        value_test(f.op, operand_kind(f.op, f.value), property_value(document, f.property), f.value) for f in where
    )
