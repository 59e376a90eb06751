"""Planning a batch: which contact each queue message belongs to, grouped so each contact is written once.

Each message kind has one planner in ``PLANNERS``; a kind without one is a poison message. A planner resolves
the message's contact at once (a message that cannot be planned fails alone) and hands the plan a part to add
to that contact's work. The parts are settled together in ``in_order``: one batched read of the suppression list
for every identifier the batch names, then every part whose contact key, or the identifier that resolved it
(an email, a phone, an anonymous id), an erasure suppressed is dropped and logged, and the rest are added (an
anonymous id or email an erasure suppressed is never linked to anyone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_CONTACT
from chalicelib.events.models import Event, Identity
from chalicelib.identity.traits import profile_patch, without
from chalicelib.messages import (
    AliasMsg,
    ContactMergeMsg,
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

log = logging.getLogger("orbit.consumer")
Suppressed = Callable[[str], bool]  # is this identifier key on the suppression list?


@dataclass
class Work:
    """Everything one batch does to one contact."""

    key: str
    record_ids: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    traits: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # merges of known contacts: source -> audit

    def absorb(self, other: Work) -> None:
        self.record_ids += other.record_ids
        self.merges += other.merges
        self.traits += other.traits
        self.events += other.events
        self.orders += other.orders
        self.requests.update(other.requests)

    def merge_anonymous(self, identity: Identity, suppressed: Suppressed = lambda _key: False) -> None:
        """A known contact seen with an anonymous id takes that visitor's profile in (unless it was erased)."""
        if identity.anonymousId and keys.is_known(self.key):
            source = keys.anonymous(identity.anonymousId)
            if source not in self.merges and not suppressed(source):
                self.merges.append(source)


@dataclass
class _Part:
    """What one message adds to its contact's work, once the batch's suppressions are known."""

    key: str
    record_id: str
    kind: str
    fill: Callable[[Work, Suppressed], None]
    guards: tuple[str, ...] = ()  # identifier keys that decided ``key``: any of them suppressed drops the part
    asks: tuple[str, ...] = ()  # further identifier keys ``fill`` asks about


class Plan:
    """The batch's work, by contact key, as messages are added."""

    def __init__(self, resolver: Resolver, orders: OrderStore) -> None:
        self.resolver = resolver
        self.orders = orders
        self.work: dict[str, Work] = {}
        self._parts: list[_Part] = []

    def add(self, message: QueueMessage, record_id: str) -> None:
        planner = PLANNERS.get(message.kind)
        if planner is None:
            raise UnknownMessage(f"the events consumer does not take {message.kind!r} messages")
        planner(self, message, record_id)

    def part(
        self,
        key: str,
        record_id: str,
        kind: str,
        fill: Callable[[Work, Suppressed], None],
        guards: tuple[str, ...] = (),
        asks: tuple[str, ...] = (),
    ) -> None:
        self._parts.append(_Part(key, record_id, kind, fill, guards, asks))

    def at(self, key: str, record_id: str) -> Work:
        entry = self.work.setdefault(key, Work(key=key))
        if record_id not in entry.record_ids:
            entry.record_ids.append(record_id)
        return entry

    def in_order(self) -> list[Work]:
        """Provisional profiles first, so merges into known contacts see their events."""
        self._settle()
        return sorted(self.work.values(), key=lambda w: keys.is_known(w.key))

    def _settle(self) -> None:
        parts, self._parts = self._parts, []
        suppressed = self.resolver.suppressed({k for p in parts for k in (p.key, *p.guards, *p.asks)})
        dropped: dict[str, list[str]] = {}
        for part in parts:
            if part.key in suppressed or not suppressed.isdisjoint(part.guards):
                # never the key: it holds the identifier an erasure removed
                dropped.setdefault(part.record_id, []).append(part.kind)
                continue
            part.fill(self.at(part.key, part.record_id), suppressed.__contains__)
        for record_id, kinds in dropped.items():
            log.warning(
                "dropped: names an erased (suppressed) identifier",
                extra={"records": [record_id], "kinds": sorted(set(kinds)), "count": len(kinds)},
            )


def _add_event(plan: Plan, event: Event, record_id: str) -> None:
    def fill(work: Work, suppressed: Suppressed) -> None:
        work.events.append(event)
        work.merge_anonymous(event.identity, suppressed)

    key, guards = plan.resolver.resolve(event.identity)
    anonymous = (keys.anonymous(event.identity.anonymousId),) if event.identity.anonymousId else ()
    plan.part(key, record_id, "event", fill, guards, anonymous)


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
    key, guards = (existing["contact"], ()) if existing else plan.resolver.resolve(parsed.identity())
    plan.part(key, record_id, "order", lambda work, _suppressed: work.orders.append(order), guards)


def _identify(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, IdentifyMsg)
    cmd = message.command
    ident = Identity(externalId=cmd.externalId, anonymousId=cmd.anonymousId)
    key, guards = plan.resolver.resolve(ident)
    traits = _unique_traits(plan, key, cmd.traits)
    named = {attr: keys.email(v) if attr == "email" else keys.phone(v) for attr, v in _identifiers(traits).items()}

    def fill(work: Work, suppressed: Suppressed) -> None:
        work.traits.append(without(traits, {attr for attr, k in named.items() if suppressed(k)}))
        work.merge_anonymous(ident, suppressed)

    anonymous = (keys.anonymous(cmd.anonymousId),) if cmd.anonymousId else ()
    plan.part(key, record_id, "identify", fill, guards, (*named.values(), *anonymous))


def _identifiers(traits: dict[str, Any]) -> dict[str, str]:
    patch = profile_patch(traits)
    return {attr: patch[attr] for attr in ("email", "phone") if isinstance(patch.get(attr), str)}


def _unique_traits(plan: Plan, key: str, traits: dict[str, Any]) -> dict[str, Any]:
    """The traits without an email or phone another known contact holds: one identifier, one contact."""
    if not keys.is_known(key):
        return traits  # a provisional profile's email is not an identifier anyone resolves by
    taken = set()
    for attr, value in _identifiers(traits).items():
        holders = plan.resolver.holders(attr, value)
        if holders and all(h.key != key for h in holders):
            taken.add(attr)
            log.warning(
                "identify: trait skipped, another contact holds it",
                extra={"trait": attr, "holder": keys.external_id(holders[0].key)},
            )
    return without(traits, taken) if taken else traits


def _alias(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, AliasMsg)
    cmd = message.command
    previous = plan.resolver.record(keys.known(cmd.previousId))
    if previous is not None and cmd.previousId != cmd.externalId:
        # previousId is a known contact's External ID: merging two known contacts is explicit and audited
        log.warning(
            "alias between two known contacts ignored; merge them with POST /v1/contacts/{externalId}/merge",
            extra={"records": [record_id]},
        )
        return
    source = keys.anonymous(cmd.previousId)

    def fill(work: Work, suppressed: Suppressed) -> None:
        if not suppressed(source):
            work.merges.append(source)

    plan.part(keys.known(cmd.externalId), record_id, "alias", fill, asks=(source,))


def _merge(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, MergeMsg)
    if plan.resolver.record(message.into) is None:
        log.warning("merge into a contact deleted since: nothing to do", extra={"records": [record_id]})
        return
    sources = list(message.sources)

    def fill(work: Work, suppressed: Suppressed) -> None:
        work.merges.extend(s for s in sources if not suppressed(s))

    plan.part(message.into, record_id, "merge", fill, asks=tuple(sources))


def _contact_merge(plan: Plan, message: QueueMessage, record_id: str) -> None:
    assert isinstance(message, ContactMergeMsg)
    target, source = keys.known(message.target), keys.known(message.source)
    stored = plan.resolver.record(target)
    if stored is None or (stored.kind != KIND_CONTACT and not stored.merged_into):
        log.warning("contact merge into a contact deleted since: nothing to do", extra={"records": [record_id]})
        return
    audit = {
        "from": message.source,
        "by": message.by,
        "keyPrefix": message.keyPrefix,
        "requestId": message.requestId,
        "requestedAt": message.requestedAt,
    }

    def fill(work: Work, _suppressed: Suppressed) -> None:
        if source not in work.merges:
            work.merges.append(source)
        work.requests[source] = {k: v for k, v in audit.items() if v is not None}

    plan.part(target, record_id, "contactMerge", fill)


PLANNERS: dict[str, Callable[[Plan, QueueMessage, str], None]] = {
    "event": _event,
    "events": _events,
    "order": _order,
    "identify": _identify,
    "alias": _alias,
    "merge": _merge,
    "contactMerge": _contact_merge,
}
