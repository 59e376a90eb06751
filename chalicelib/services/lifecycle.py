"""Contact lifecycle use cases beyond writes: merging two known contacts (queued, audited), and deleting or
erasing a contact with everything reachable from it (erasure also suppresses its identifiers)."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import identifiers, keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.patch import check_external_id
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, KIND_PROFILE, ContactRecord
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.logs import correlation_id
from chalicelib.messages import ContactMergeMsg
from chalicelib.ports import Ports
from chalicelib.services.contacts import get

log = logging.getLogger("orbit.contacts")

MAX_MERGE_DEPTH = 5  # profiles and contacts merged into contacts merged into this one, and so on
MERGE_EFFECTS = (
    "its aggregates, activity, channels, anonymous ids and merged profiles move to this contact",
    "its profile attributes and additional fields fill only what this contact lacks (this contact's values win)",
    "its orders stay under their ids and count on this contact",
    "it becomes an alias of this contact: events, orders and identifies naming it land here",
    "the merge is recorded in this contact's mergeHistory (who asked, when)",
)


def request_merge(
    ports: Ports, external_id: str, source_id: str, by: str, key_prefix: str | None = None
) -> dict[str, Any]:
    """Queue the merge of the known contact ``source_id`` into ``external_id``; the consumer applies it exactly
    once, like any contact write (``services/consumer/merging.py``). Both must be contacts now."""
    target = get(ports, external_id)
    try:
        check_external_id(source_id)
    except InvalidInput as exc:
        raise InvalidInput("from is invalid", [ErrorDetail("from", d.message) for d in exc.details]) from exc
    if source_id == external_id:
        raise InvalidInput("A contact cannot be merged into itself", [ErrorDetail("from", "is this contact")])
    source = ports.contacts.load(keys.known(source_id))
    if source is None or source.kind != KIND_CONTACT:
        raise NotFound(
            f"No contact with External ID {source_id!r} to merge",
            [ErrorDetail("from", "names no contact (a contact merged already is an alias, not a contact)")],
        )
    message = ContactMergeMsg(
        target=external_id,
        source=source_id,
        by=by,
        keyPrefix=key_prefix,
        requestId=correlation_id(),
        requestedAt=iso(ports.clock.now()),
    )
    ports.publisher.publish([message])
    log.info("contact merge queued", extra={"target": external_id, "from": source_id, "by": by})
    return {
        "externalId": keys.external_id(target.key),
        "from": source_id,
        "status": "queued",
        "requestId": message.requestId,
        "effects": [f"{source_id}: {effect}" for effect in MERGE_EFFECTS],
    }


def delete(ports: Ports, external_id: str, erase: bool) -> dict[str, Any]:
    """Delete the contact and everything reachable from it: its activity, the profiles, anonymous ids and
    contacts merged into it (with their activity) and the orders of them all, so nothing old can re-attach
    when the External ID comes back. ``erase`` (GDPR) also puts every identifier of them on the suppression
    list (digests), so the consumer drops whatever still names the person, until an explicit PUT."""
    rec = get(ports, external_id)
    reached = _reachable(ports, rec)
    suppressed = 0
    if erase:  # first, so nothing re-creates the person while the rest goes
        named = {k for r in (rec, *reached.values()) for k in identifiers.identifier_keys(r)}
        named -= _held_elsewhere(ports, rec, named)
        ports.suppressions.suppress(sorted(identifiers.digest(k) for k in named), iso(ports.clock.now()))
        suppressed = len(named)
    removed_events = removed_orders = 0
    for key in (*reached, rec.key):
        removed_events += ports.events.delete_all(key)
        for order in ports.orders.for_contact(key):
            ports.orders.delete(order)
            removed_orders += 1
    for other in reached.values():
        ports.contacts.delete(other)
    ports.contacts.delete(rec)  # last: a failed request can be sent again
    ports.changes.announce(ContactChanged(before=rec, after=None))
    log.info(
        "contact erased" if erase else "contact deleted",
        extra={"events": removed_events, "orders": removed_orders, "profiles": len(reached)},
    )
    return {
        "externalId": external_id,
        "erased": erase,
        "eventsDeleted": removed_events,
        "ordersDeleted": removed_orders,
        "profilesDeleted": len(reached),
        "identifiersSuppressed": suppressed,
    }


def _held_elsewhere(ports: Ports, rec: ContactRecord, named: set[str]) -> set[str]:
    """The emails and phones among ``named`` another live contact holds too (only where the one-holder rule was
    broken): suppressing them would drop that contact's events."""
    held = set()
    for key in named:
        attr = {keys.EMAIL: "email", keys.PHONE: "phone"}.get(key[:2])
        value = key[len(keys.EMAIL) :]
        if attr and any(r.key != rec.key and r.profile.get(attr) == value for r in ports.contacts.find(attr, value)):
            held.add(key)
    return held


def _reachable(ports: Ports, rec: ContactRecord) -> dict[str, ContactRecord]:
    """Every record hanging off the contact: what it merged (followed through merges of merges), and the
    provisional profile of its own email or phone if one waits to be merged."""
    found: dict[str, ContactRecord] = {}
    pending = [*rec.merged, *identifiers.identifier_keys(rec)[1:]]
    owners = {rec.key}
    for _depth in range(MAX_MERGE_DEPTH):
        pending = [k for k in dict.fromkeys(pending) if k not in found and k != rec.key]
        if not pending:
            break
        following: list[str] = []
        for key, other in ports.contacts.load_many(pending).items():
            if other.kind == KIND_PROFILE or (other.kind == KIND_ALIAS and other.merged_into in owners):
                found[key] = other
                owners.add(key)
                following += other.merged
        pending = following
    return found
