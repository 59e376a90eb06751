"""One contact against some segments: evaluate, store what changed, and announce entering and leaving.

Shared by the real-time listener, list changes, the time sweep and full computations. A flip of the
served generation is announced as a ``Segment Entered``/``Segment Exited`` event, published before the
state is written and identified by the segment, generation, direction and moment, so a retried evaluation
publishes the same event again and the event log keeps one. A segment that names another (``inSegment``)
sees the other's new state in the same pass (segments come in dependency order).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event, Identity, content_id
from chalicelib.messages import EventMsg
from chalicelib.orders.models import counted
from chalicelib.ports import Ports
from chalicelib.segments.evaluate import Facts, Verdict, evaluate
from chalicelib.segments.models import Generation, MemberState
from chalicelib.services.orders import contact_keys
from chalicelib.services.segments.registry import Compiled, Snapshot

log = logging.getLogger("orbit.segments")

SEGMENT_ENTERED = "Segment Entered"
SEGMENT_EXITED = "Segment Exited"
REMOVED_VERSION = 2**53  # a deleted contact's states go whatever version evaluated them


@dataclass(frozen=True)
class Transition:
    segment_id: str
    generation: int
    entered: bool
    at: str


def facts_for(
    ports: Ports, snapshot: Snapshot, record: ContactRecord, states: dict[Generation, MemberState], now: datetime
) -> Facts:
    """What a rule may read besides the record: its lists, the segments it is in (served generations)."""
    served = {c.definition.serving for c in snapshot.segments}
    return Facts(
        record=record,
        now=now,
        lists=frozenset(g.segment_id for g, s in states.items() if g.segment_id in snapshot.lists and s.member),
        segments=frozenset(g.segment_id for g, s in states.items() if g in served and s.member),
        field_types=snapshot.field_types,
        history=lambda event_type, start: (e for e in ports.events.since(record.key, start) if e.type == event_type),
        counter_window_days=ports.settings.counter_window_days,
        orders=lambda: counting_orders(ports, record),
    )


def counting_orders(ports: Ports, record: ContactRecord) -> list[OrderDelta]:
    """The contact's counting orders (a contact stored before order days were kept needs them for windows)."""
    found = [order for key in contact_keys(ports, record) for order in ports.orders.for_contact(key)]
    return [delta for delta in map(counted, found) if delta is not None]


def stored_states(ports: Ports, key: str) -> dict[Generation, MemberState]:
    return dict(ports.memberships.for_contact(key))


def reevaluate(
    ports: Ports,
    snapshot: Snapshot,
    record: ContactRecord,
    segments: Sequence[Compiled],
    *,
    at: str,
    states: dict[Generation, MemberState] | None = None,
    announce: bool = True,
) -> list[Transition]:
    """Evaluate ``record`` against ``segments`` (dependency order) and store every changed state; ``at`` is
    the moment the change happened (a flip's event time). ``states``: the contact's stored states when the
    caller has them."""
    if not keys.is_known(record.key) or not segments:
        return []
    now = ports.clock.now()
    states = dict(states) if states is not None else stored_states(ports, record.key)
    transitions: list[Transition] = []
    for compiled in segments:
        verdict = evaluate(compiled.rule, compiled.exclude, facts_for(ports, snapshot, record, states, now))
        for generation in compiled.generations:
            served = generation == compiled.definition.serving
            publish = compiled if served and announce else None
            flipped, new = store(ports, generation, record, states.get(generation), verdict, at, now, publish)
            if new is None:
                states.pop(generation, None)
            else:
                states[generation] = new
            if flipped and served and announce:
                transitions.append(Transition(compiled.id, generation.number, verdict.member, at))
    return transitions


def store(
    ports: Ports,
    generation: Generation,
    record: ContactRecord,
    old: MemberState | None,
    verdict: Verdict,
    at: str,
    now: datetime,
    publish: Compiled | None = None,
) -> tuple[bool, MemberState | None]:
    """Write the verdict as the contact's state if it differs from ``old``; (membership flipped, state now).
    With ``publish``, a flip is announced as an event before the state is written."""
    next_at = iso(verdict.next_change) if verdict.next_change is not None else None
    was_member = bool(old and old.member)
    flipped = was_member != verdict.member
    if not verdict.member and next_at is None:
        if old is None:
            return False, None
        if flipped and publish is not None:
            announce(ports, publish, record, False, at, now)
        written = ports.memberships.remove(generation, record.key, record.version)
        return (flipped and written.applied), (None if written.applied else written.previous)
    new = MemberState(
        member=verdict.member,
        version=record.version,
        since=(old.since if was_member and old else at) if verdict.member else None,
        next_at=next_at,
        changed_at=at if flipped or old is None else old.changed_at,
    )
    if old is not None and (old.member, old.since, old.next_at) == (new.member, new.since, new.next_at):
        return False, old
    if flipped and publish is not None:  # the event goes out before the state: a retry finds the flip again
        announce(ports, publish, record, verdict.member, at, now)
    written = ports.memberships.write(generation, record.key, new, expected=old)
    if not written.applied:
        return False, written.previous
    return flipped, new


def announce(ports: Ports, compiled: Compiled, record: ContactRecord, entered: bool, at: str, now: datetime) -> None:
    """Publish ``Segment Entered``/``Segment Exited`` for the served generation of a dynamic segment."""
    generation = compiled.definition.serving
    external_id = keys.external_id(record.key)
    kind = SEGMENT_ENTERED if entered else SEGMENT_EXITED
    properties = {"segmentId": generation.segment_id, "segmentName": compiled.definition.name}
    event = Event(
        eventId=content_id("seg-", {"segment": generation.ref, "entered": entered, "at": at, "contact": record.key}),
        type=kind,
        identity=Identity(externalId=external_id),
        timestamp=datetime.fromisoformat(at),
        receivedAt=now,
        properties={**properties, "generation": generation.number},
        source="segments",
    )
    ports.publisher.publish([EventMsg(event=event)])
    log.info("segment %s", "entered" if entered else "exited", extra={"segment": generation.segment_id})


def forget(ports: Ports, key: str) -> int:
    """Remove a deleted contact from every list and segment; returns how many states went."""
    gone = 0
    for generation, _state in ports.memberships.for_contact(key):
        if ports.memberships.remove(generation, key, REMOVED_VERSION).applied:
            gone += 1
    return gone


def affected(snapshot: Snapshot, wanted: Iterable[str]) -> list[Compiled]:
    """The segments named, plus every segment that depends on them, in dependency order."""
    chosen = set(wanted)
    for compiled in snapshot.segments:  # dependency order: a dependent comes after what it names
        if compiled.depends & chosen:
            chosen.add(compiled.id)
    return [c for c in snapshot.segments if c.id in chosen]
