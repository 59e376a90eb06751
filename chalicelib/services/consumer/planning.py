"""Planning a batch: which contact each queue message belongs to, grouped so each contact is written once.

Each message kind has one planner in ``PLANNERS``; a kind without one is a poison message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.contacts import keys
from chalicelib.events.models import Event, Identity
from chalicelib.messages import (
    AliasMsg,
    EventMsg,
    EventsMsg,
    IdentifyMsg,
    MergeMsg,
    OrderMsg,
    QueueMessage,
    UnknownMessage,
)
from chalicelib.orders.models import OrderIn
from chalicelib.ports import OrderStore
from chalicelib.services.consumer.resolver import Resolver


@dataclass
class Work:
    """Everything one batch does to one contact."""

    key: str
    record_ids: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    traits: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def absorb(self, other: Work) -> None:
        self.record_ids += other.record_ids
        self.merges += other.merges
        self.traits += other.traits
        self.events += other.events
        self.orders += other.orders

    def merge_anonymous(self, identity: Identity) -> None:
        """A known contact seen with an anonymous id takes that visitor's profile in."""
        if identity.anonymousId and keys.is_known(self.key):
            source = keys.anonymous(identity.anonymousId)
            if source not in self.merges:
                self.merges.append(source)


class Plan:
    """The batch's work, by contact key, as messages are added."""

    def __init__(self, resolver: Resolver, orders: OrderStore) -> None:
        self.resolver = resolver
        self.orders = orders
        self.work: dict[str, Work] = {}

    def add(self, message: QueueMessage, record_id: str) -> None:
        planner = PLANNERS.get(message.kind)
        if planner is None:
            raise UnknownMessage(f"the events consumer does not take {message.kind!r} messages")
        planner(self, message, record_id)

    def at(self, key: str, record_id: str) -> Work:
        entry = self.work.setdefault(key, Work(key=key))
        if record_id not in entry.record_ids:
            entry.record_ids.append(record_id)
        return entry

    def in_order(self) -> list[Work]:
        """Provisional profiles first, so merges into known contacts see their events."""
        return sorted(self.work.values(), key=lambda w: keys.is_known(w.key))


def _add_event(plan: Plan, event: Event, record_id: str) -> None:
    entry = plan.at(plan.resolver.key_for(event.identity), record_id)
    entry.events.append(event)
    entry.merge_anonymous(event.identity)


def _event(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, EventMsg)
    _add_event(plan, message.event, record_id)


def _events(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, EventsMsg)
    for event in message.events:
        _add_event(plan, event, record_id)


def _order(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, OrderMsg)
    parsed = OrderIn.model_validate(message.order)
    order = parsed.model_dump(mode="json", exclude_none=True)
    existing = plan.orders.load(order["externalOrderId"])
    key = existing["contact"] if existing else plan.resolver.key_for(parsed.identity())
    plan.at(key, record_id).orders.append(order)


def _identify(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, IdentifyMsg)
    cmd = message.command
    ident = Identity(externalId=cmd.externalId, anonymousId=cmd.anonymousId)
    entry = plan.at(plan.resolver.key_for(ident), record_id)
    entry.traits.append(cmd.traits)
    entry.merge_anonymous(ident)


def _alias(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, AliasMsg)
    entry = plan.at(keys.known(message.command.externalId), record_id)
    entry.merges.append(keys.anonymous(message.command.previousId))


def _merge(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, MergeMsg)
    plan.at(message.into, record_id).merges.extend(message.sources)


PLANNERS: dict[str, Callable[[Plan, QueueMessage, str], None]] = {
    "event": _event,
    "events": _events,
    "order": _order,
    "identify": _identify,
    "alias": _alias,
    "merge": _merge,
}
