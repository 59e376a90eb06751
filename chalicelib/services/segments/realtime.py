"""Real-time membership: every contact change re-evaluates the contact against the active segments that
change can affect (a product view never re-evaluates a birthday segment), before the consumer acknowledges
the batch. List changes do the same for segments that name the list."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.changes import ContactChanged, Listener
from chalicelib.ports import Ports
from chalicelib.segments import reads
from chalicelib.services.segments import membership
from chalicelib.services.segments.registry import REGISTRY

log = logging.getLogger("orbit.segments")


def listener(ports: Ports) -> Listener:
    """The contact-change listener the composition root subscribes (critical: a failure fails the records, and
    their redelivery replays the change)."""

    def on_change(change: ContactChanged) -> None:
        on_contact_changed(ports, change)

    return on_change


def on_contact_changed(ports: Ports, change: ContactChanged) -> list[membership.Transition]:
    if not keys.is_known(change.key):
        return []
    if change.after is None:
        membership.forget(ports, change.key)
        return []
    snapshot = REGISTRY.snapshot(ports)
    if not snapshot.segments:
        return []
    if change.replayed:  # what changed is unknown: everything may have
        candidates = list(snapshot.segments)
    else:
        changed = reads.changed(change.before, change.after, change.events)
        touched = [c.id for c in snapshot.segments if reads.affects(c.reads, changed)]
        candidates = membership.affected(snapshot, touched)
    if not candidates:
        return []
    at = change.after.updated_at or iso(ports.clock.now())
    return membership.reevaluate(ports, snapshot, change.after, candidates, at=at)


def lists_changed(ports: Ports, list_id: str, contact_keys: Iterable[str]) -> int:
    """Re-evaluate the segments that name ``list_id`` for contacts whose membership in it changed; returns
    how many contacts were evaluated."""
    snapshot = REGISTRY.snapshot(ports)
    naming = [c.id for c in snapshot.segments if list_id in c.reads.lists]
    candidates = membership.affected(snapshot, naming)
    wanted = [k for k in contact_keys if keys.is_known(k)]
    if not candidates or not wanted:
        return 0
    at = iso(ports.clock.now())
    records = ports.contacts.load_many(wanted)
    for key in wanted:
        record = records.get(key)
        if record is not None and record.kind == "contact":
            membership.reevaluate(ports, snapshot, record, candidates, at=at)
    return len(records)
