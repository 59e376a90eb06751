"""What a rule reads, what a contact change changed, and whether the one can affect the other: the index that
keeps a product view from re-evaluating a birthday segment.

``reads`` is computed once per rule. ``changed`` compares a contact before and after a write (and the events
the write folded); ``affects`` says whether a segment must be re-evaluated for that change. It errs on the
side of re-evaluating: a creation, a deletion or a merge (aggregates folded in from another profile) affects
every segment. List and segment memberships are not contact changes: whoever changes them re-evaluates the
segments whose ``lists``/``segments`` name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.contacts import keys
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event
from chalicelib.segments.conditions import (
    DAYS_OPS,
    STANDARD_FIELDS,
    ChannelCondition,
    Condition,
    EventCondition,
    FieldCondition,
    ListCondition,
    MessageCondition,
    OrdersCondition,
    SegmentCondition,
)
from chalicelib.segments.counter_specs import query
from chalicelib.segments.rule_tree import leaves

DATED_FIELDS = ("createdAt", "updatedAt")


@dataclass(frozen=True)
class Reads:
    """What a rule's truth depends on."""

    fields: frozenset[str]  # field paths read (standard names and "fields.x"); "timeZone" when dates are local
    events: frozenset[str]  # event types read (message conditions: their MESSAGE_EVENTS types)
    orders: bool
    lists: frozenset[str]
    segments: frozenset[str]
    channels: bool  # channel conditions: email, phone, channel identifiers and consent
    timed: bool  # its truth can change with time alone


def reads(rule: Condition, exclude: Condition | None) -> Reads:
    fields: set[str] = set()
    events: set[str] = set()
    lists: set[str] = set()
    segments: set[str] = set()
    orders = channels = timed = False
    for leaf in leaves(rule) + (leaves(exclude) if exclude is not None else []):
        if isinstance(leaf, FieldCondition):
            fields.add(leaf.field)
            if leaf.op in DAYS_OPS:
                timed = True
            if leaf.field in DATED_FIELDS or leaf.field.startswith("fields.") or leaf.op in DAYS_OPS:
                fields.add("timeZone")  # a date may be compared on the contact's local date
        elif isinstance(leaf, EventCondition | MessageCondition):
            q = query(leaf)
            events.add(q.event)
            timed |= q.within is not None or q.first is not None or q.last is not None
        elif isinstance(leaf, OrdersCondition):
            orders = True
            timed |= leaf.within is not None or leaf.ago is not None
            if leaf.op in ("before", "after"):
                fields.add("timeZone")
        elif isinstance(leaf, ListCondition):
            lists.add(leaf.inList)
        elif isinstance(leaf, SegmentCondition):
            segments.add(leaf.inSegment)
        elif isinstance(leaf, ChannelCondition):
            channels = True
    return Reads(
        fields=frozenset(fields),
        events=frozenset(events),
        orders=orders,
        lists=frozenset(lists),
        segments=frozenset(segments),
        channels=channels,
        timed=timed,
    )


@dataclass(frozen=True)
class Changed:
    """What a contact write changed."""

    fields: frozenset[str]  # standard field names and "fields.x" whose value differs
    events: frozenset[str]  # types of the events the write folded
    orders: bool  # the order aggregates differ
    channels: bool  # email, phone, channel identifiers or consent differ
    created: bool
    deleted: bool
    merged: bool = False  # another profile or contact was merged in (its aggregates added)


def changed(before: ContactRecord | None, after: ContactRecord | None, events: Sequence[Event]) -> Changed:
    """The difference between two states of a contact (None: it did not exist / was deleted) and the events
    folded in between."""
    exists_before = before is not None and before.exists
    types = frozenset(e.type for e in events)
    if after is None or before is None or not exists_before:
        return Changed(frozenset(), types, False, False, created=after is not None, deleted=after is None)
    fields = {name for name in STANDARD_FIELDS if _standard(before, name) != _standard(after, name)}
    names = set(before.fields) | set(after.fields)
    fields |= {f"fields.{name}" for name in names if before.fields.get(name) != after.fields.get(name)}
    channels = (
        before.channels != after.channels
        or before.profile.get("consent") != after.profile.get("consent")
        or bool(fields & {"email", "phone"})
    )
    orders = (before.aggs or {}).get("orders") != (after.aggs or {}).get("orders")
    return Changed(
        fields=frozenset(fields),
        events=types,
        orders=orders,
        channels=channels,
        created=False,
        deleted=False,
        merged=set(before.merged) != set(after.merged) or len(before.merge_history) != len(after.merge_history),
    )


def _standard(record: ContactRecord, name: str) -> Any:
    if name == "externalId":
        return keys.external_id(record.key)
    if name == "createdAt":
        return record.created_at
    if name == "updatedAt":
        return record.updated_at
    if name.startswith("address."):
        address = record.profile.get("address")
        return address.get(name[8:]) if isinstance(address, dict) else None
    return record.profile.get(name)


def affects(reads: Reads, change: Changed) -> bool:
    """True when ``change`` may change the truth of a rule that ``reads`` this."""
    if change.created or change.deleted or change.merged:
        return True
    return bool(
        (reads.fields & change.fields)
        or (reads.events & change.events)
        or (reads.orders and change.orders)
        or (reads.channels and change.channels)
    )
