"""Evaluating a segment rule for one contact: membership, the next moment time alone may change it, and why.

``evaluate(rule, exclude, facts)`` reads only ``facts``: the stored contact record and the moment ``now``, the
lists and other segments the contact is in, the declared field types, and (for a counter the record does not
hold yet) the contact's event history. It is pure: no storage, no clock.

Membership: the rule holds and the exclusion (if any) does not.

Each condition family is evaluated in its own module, whose docstring says exactly how: fields and dates in
``eval_fields``, events and messages in ``eval_events``, orders in ``eval_orders``, lists, segments and
channels in ``eval_membership``. What they read and share (``Facts``, ``MissingData``, the per-evaluation
context) is in ``context``; values that change with time alone, and when, in ``changes``.

Groups: ``all``, ``any``, ``not``. A group's ``next_change`` is a lower bound: a true ``all`` (false ``any``)
may flip when its first child does (the earliest child moment); a false ``all`` (true ``any``) only once every
false (true) child has flipped (the latest of their moments, None when one of them never flips with time).

Explanation: one node per condition, with its path as rule errors name it (``rule``, ``rule.all[2]``,
``exclude.any[0].not``), its value, the data it used and its own ``next_change``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.clock import iso
from chalicelib.segments.conditions import (
    AllGroup,
    AnyGroup,
    ChannelCondition,
    Condition,
    EventCondition,
    FieldCondition,
    ListCondition,
    MessageCondition,
    NotGroup,
    OrdersCondition,
    SegmentCondition,
)
from chalicelib.segments.context import Context, Facts, LeafValue, MissingData
from chalicelib.segments.eval_events import event_leaf
from chalicelib.segments.eval_fields import field_leaf
from chalicelib.segments.eval_membership import channel_leaf, list_leaf, segment_leaf
from chalicelib.segments.eval_orders import orders_leaf
from chalicelib.segments.rule_tree import dump

# Facts and MissingData live in ``context`` (every condition family reads them); re-exported deliberately, as
# the callers of ``evaluate`` name them from here.
__all__ = ["Explained", "Facts", "MissingData", "Verdict", "evaluate"]


@dataclass(frozen=True)
class Explained:
    """One condition's verdict: where it is in the rule, its value, the data it used and the earliest moment
    time alone may change its value (None: only new data can)."""

    path: str
    kind: str
    value: bool
    used: dict[str, Any]
    next_change: datetime | None
    children: tuple[Explained, ...] = ()
    condition: Condition | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The explain API's JSON for this node and its children."""
        return {
            "path": self.path,
            "condition": dump(self.condition) if self.condition is not None else None,
            "value": self.value,
            "used": self.used,
            "nextChange": iso(self.next_change) if self.next_change is not None else None,
            "children": [child.as_dict() for child in self.children],
        }


@dataclass(frozen=True)
class Verdict:
    member: bool  # the rule holds and the exclusion (if any) does not
    next_change: datetime | None  # the earliest moment time alone may change ``member`` (None: only new data)
    explanation: tuple[Explained, ...]  # the rule's tree, then the exclusion's


def evaluate(rule: Condition, exclude: Condition | None, facts: Facts) -> Verdict:
    """The contact's membership at ``facts.now``, when time alone may next change it, and why."""
    ctx = Context(facts)
    included = _node(rule, "rule", ctx)
    if exclude is None:
        return Verdict(included.value, included.next_change, (included,))
    excluded = _node(exclude, "exclude", ctx)
    member, moment = _all([(included.value, included.next_change), (not excluded.value, excluded.next_change)])
    return Verdict(member, moment, (included, excluded))


# --- groups ---------------------------------------------------------------------------------------------------


def _all(children: Sequence[tuple[bool, datetime | None]]) -> tuple[bool, datetime | None]:
    """An ``all`` group's value and the earliest moment it may flip."""
    value = all(v for v, _ in children)
    if value:
        return True, _earliest(m for _, m in children)
    return False, _latest([m for v, m in children if not v])


def _any(children: Sequence[tuple[bool, datetime | None]]) -> tuple[bool, datetime | None]:
    value = any(v for v, _ in children)
    if value:
        return True, _latest([m for v, m in children if v])
    return False, _earliest(m for _, m in children)


def _earliest(moments: Iterable[datetime | None]) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def _latest(moments: list[datetime | None]) -> datetime | None:
    """The latest moment, or None when one of them is None (that child never flips with time alone)."""
    if not moments or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None)


def _node(condition: Condition, path: str, ctx: Context) -> Explained:
    if isinstance(condition, AllGroup | AnyGroup):
        kind = "all" if isinstance(condition, AllGroup) else "any"
        items = condition.all if isinstance(condition, AllGroup) else condition.any
        kids = tuple(_node(child, f"{path}.{kind}[{i}]", ctx) for i, child in enumerate(items))
        pairs = [(k.value, k.next_change) for k in kids]
        value, moment = _all(pairs) if kind == "all" else _any(pairs)
        return Explained(path, kind, value, {}, moment, kids, condition)
    if isinstance(condition, NotGroup):
        inner = _node(condition.not_, f"{path}.not", ctx)
        return Explained(path, "not", not inner.value, {}, inner.next_change, (inner,), condition)
    kind, leaf = _leaf(condition, path, ctx)
    return Explained(path, kind, leaf.value, leaf.used, leaf.next_change, (), condition)


def _leaf(condition: Condition, path: str, ctx: Context) -> tuple[str, LeafValue]:
    if isinstance(condition, FieldCondition):
        return "field", field_leaf(condition, ctx)
    if isinstance(condition, EventCondition):
        return "event", event_leaf(condition, path, ctx)
    if isinstance(condition, MessageCondition):
        return "message", event_leaf(condition, path, ctx)
    if isinstance(condition, OrdersCondition):
        return "orders", orders_leaf(condition, path, ctx)
    if isinstance(condition, ListCondition):
        return "inList", list_leaf(condition, ctx)
    if isinstance(condition, SegmentCondition):
        return "inSegment", segment_leaf(condition, ctx)
    if isinstance(condition, ChannelCondition):
        return "channel", channel_leaf(condition, ctx)
    raise TypeError(f"not a condition: {type(condition).__name__}")
