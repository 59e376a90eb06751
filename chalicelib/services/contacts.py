"""Contact use cases: upsert by External ID, read the card and its activity, find, delete and erase.

Every write is announced once on ``ports.changes`` (a deletion as ``after=None``).
"""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.catalog.enrichment import catalog_fields
from chalicelib.clock import iso
from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.fields import validate_values
from chalicelib.contacts.models import ContactCard, ContactIn
from chalicelib.contacts.patch import apply_patch, check_external_id
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.events.models import Event
from chalicelib.messages import MergeMsg
from chalicelib.ports import Ports
from chalicelib.validation import normalize_email, normalize_phone

ATTEMPTS = 4


def upsert(ports: Ports, external_id: str, body: ContactIn) -> tuple[ContactRecord, bool]:
    """Create or partially update a contact; returns the record and whether it was created."""
    check_external_id(external_id)
    patch = body.model_dump(mode="json", exclude_unset=True)
    clean, errors = validate_values(ports.fields.fields(), patch.get("fields") or {})
    if errors:
        raise InvalidInput("The request body is invalid", errors)
    key = keys.known(external_id)
    for _attempt in range(ATTEMPTS):
        old = ports.contacts.load(key)
        now = iso(ports.clock.now())
        rec = copy.deepcopy(old) if old else ContactRecord(key=key, created_at=now)
        if rec.kind != KIND_CONTACT:
            rec.kind = KIND_CONTACT
        apply_patch(rec, patch, clean)
        rec.updated_at = now
        try:
            ports.contacts.save(rec, old)
        except Conflict:
            continue
        ports.changes.announce(ContactChanged(before=old, after=rec))
        _merge_provisional(ports, rec, old)
        return rec, old is None
    raise Conflict("The contact is being updated concurrently; retry")


def _merge_provisional(ports: Ports, rec: ContactRecord, old: ContactRecord | None) -> None:
    """Events sent earlier under this email/phone (before the contact existed) join the card."""
    candidates = []
    for attr, make in (("email", keys.email), ("phone", keys.phone)):
        value = rec.profile.get(attr)
        if value and (old is None or old.profile.get(attr) != value):
            candidates.append(make(value))
    found = [k for k, r in ports.contacts.load_many(candidates).items() if r.kind != KIND_ALIAS]
    if found:
        ports.publisher.publish([MergeMsg(into=rec.key, sources=found)])


def card(ports: Ports, rec: ContactRecord) -> ContactCard:
    external_id = keys.external_id(rec.key)
    if external_id is None:
        raise NotFound("Contact not found")
    return ContactCard(
        externalId=external_id,
        **rec.profile,
        channels=rec.channels,
        fields=rec.fields,
        anonymousIds=[k[len(keys.ANONYMOUS) :] for k in rec.merged if k.startswith(keys.ANONYMOUS)],
        createdAt=rec.created_at,
        updatedAt=rec.updated_at,
        aggregates=_with_catalog(ports, aggregates.summary(rec.aggs or aggregates.empty(), ports.clock.now())),
    )


def _with_catalog(ports: Ports, summary: dict[str, Any]) -> dict[str, Any]:
    """Recently viewed and wishlist entries keep only id, time and the price seen (a small contact item
    is a cheap write); the card joins the rest from the catalog at read time."""
    entries = summary["recentlyViewed"] + summary["wishlist"]
    if not entries:
        return summary
    found = ports.catalog.get_many({e["productId"] for e in entries})
    for key in ("recentlyViewed", "wishlist"):
        joined = []
        for entry in summary[key]:
            stored = found.get(entry["productId"])
            extra = catalog_fields(stored.product) if stored else {}
            joined.append({**extra, **entry, **({"currentPrice": extra["price"]} if "price" in extra else {})})
        summary[key] = joined
    return summary


def get(ports: Ports, external_id: str) -> ContactRecord:
    rec = ports.contacts.load(keys.known(check_external_id(external_id)))
    if rec is None or rec.kind != KIND_CONTACT:
        raise NotFound(f"No contact with External ID {external_id!r}")
    return rec


def find(ports: Ports, email: str | None, phone: str | None) -> list[ContactRecord]:
    for attr, value, check in (("email", email, normalize_email), ("phone", phone, normalize_phone)):
        if value:
            try:
                return ports.contacts.find(attr, check(value))
            except ValueError as exc:
                raise InvalidInput(f"{attr} is invalid", [ErrorDetail(attr, str(exc))]) from exc
    raise InvalidInput(
        "Give an identifier to search by",
        [ErrorDetail("email", "email or phone is required")],
    )


def activity(ports: Ports, external_id: str, limit: int, cursor: str | None) -> tuple[list[Event], str | None]:
    """A page of the contact's events, newest first, and the cursor of the next page."""
    rec = get(ports, external_id)
    return ports.events.activity(rec.key, limit, cursor)


def delete(ports: Ports, external_id: str, erase: bool) -> dict[str, Any]:
    """Delete the contact. ``erase`` (GDPR) also deletes its activity, orders and merged profiles."""
    rec = get(ports, external_id)
    removed_events = 0
    if erase:
        removed_events += ports.events.delete_all(rec.key)
        for merged_key in rec.merged:
            alias = ports.contacts.load(merged_key)
            if alias is not None:
                removed_events += ports.events.delete_all(merged_key)
                ports.contacts.delete(alias)
        for order in ports.orders.for_contact(rec.key):
            ports.orders.delete(order)
    ports.contacts.delete(rec)
    ports.changes.announce(ContactChanged(before=rec, after=None))
    return {"externalId": external_id, "erased": erase, "eventsDeleted": removed_events}
