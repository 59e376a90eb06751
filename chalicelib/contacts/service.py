"""Contact use cases: upsert by External ID, read the card, find, delete and erase."""

from __future__ import annotations

import copy
import re
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.fields import validate_values
from chalicelib.contacts.models import ContactCard, ContactIn
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord
from chalicelib.deps import Stores
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.pipeline.messages import MergeMsg, dump
from chalicelib.validation import normalize_email, normalize_phone

_EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")
_ATTEMPTS = 4


def check_external_id(external_id: str) -> str:
    if not _EXTERNAL_ID.match(external_id) or external_id != external_id.strip():
        raise InvalidInput(
            "The External ID is invalid",
            [ErrorDetail("externalId", "must be 1-256 characters, no control characters or outer spaces")],
        )
    return external_id


def apply_patch(rec: ContactRecord, patch: dict[str, Any], clean_fields: dict[str, Any]) -> None:
    """Partial update: absent keeps, null clears; fields merge key by key; channels replace."""
    for name, value in patch.items():
        if name == "fields":
            continue
        if name == "channels":
            rec.channels = value or []
        elif value is None:
            rec.profile.pop(name, None)
        else:
            rec.profile[name] = value
    for name, value in clean_fields.items():
        if value is None:
            rec.fields.pop(name, None)
        else:
            rec.fields[name] = value


def upsert(stores: Stores, external_id: str, body: ContactIn) -> tuple[ContactRecord, bool]:
    check_external_id(external_id)
    patch = body.model_dump(mode="json", exclude_unset=True)
    clean, errors = validate_values(stores.meta.fields(), patch.get("fields") or {})
    if errors:
        raise InvalidInput("The request body is invalid", errors)
    key = keys.known(external_id)
    for _attempt in range(_ATTEMPTS):
        old = stores.contacts.load(key)
        now = iso(stores.clock.now())
        rec = copy.deepcopy(old) if old else ContactRecord(key=key, created_at=now)
        if rec.kind != KIND_CONTACT:
            rec.kind = KIND_CONTACT
        apply_patch(rec, patch, clean)
        rec.updated_at = now
        try:
            stores.contacts.save(rec, old)
        except Conflict:
            continue
        _merge_provisional(stores, rec, old)
        return rec, old is None
    raise Conflict("The contact is being updated concurrently; retry")


def _merge_provisional(stores: Stores, rec: ContactRecord, old: ContactRecord | None) -> None:
    """Events sent earlier under this email/phone (before the contact existed) join the card."""
    candidates = []
    for attr, make in (("email", keys.email), ("phone", keys.phone)):
        value = rec.profile.get(attr)
        if value and (old is None or old.profile.get(attr) != value):
            candidates.append(make(value))
    found = [k for k, r in stores.contacts.load_many(candidates).items() if r.kind != "alias"]
    if found:
        stores.queue.send([dump(MergeMsg(into=rec.key, sources=found))])


def card(rec: ContactRecord, stores: Stores) -> ContactCard:
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
        aggregates=_with_catalog(stores, aggregates.summary(rec.aggs or aggregates.empty(), stores.clock.now())),
    )


def _with_catalog(stores: Stores, summary: dict[str, Any]) -> dict[str, Any]:
    """Recently viewed and wishlist entries keep only id, time and the price seen (a small contact item
    is a cheap write); the card joins the rest from the catalog at read time."""
    from chalicelib.catalog.service import catalog_fields

    entries = summary["recentlyViewed"] + summary["wishlist"]
    if not entries:
        return summary
    found = stores.products.get_many({e["productId"] for e in entries})
    for key in ("recentlyViewed", "wishlist"):
        joined = []
        for entry in summary[key]:
            stored = found.get(entry["productId"])
            extra = catalog_fields(stored.product) if stored else {}
            joined.append({**extra, **entry, **({"currentPrice": extra["price"]} if "price" in extra else {})})
        summary[key] = joined
    return summary


def get(stores: Stores, external_id: str) -> ContactRecord:
    rec = stores.contacts.load(keys.known(check_external_id(external_id)))
    if rec is None or rec.kind != KIND_CONTACT:
        raise NotFound(f"No contact with External ID {external_id!r}")
    return rec


def find(stores: Stores, email: str | None, phone: str | None) -> list[ContactRecord]:
    for attr, value, check in (("email", email, normalize_email), ("phone", phone, normalize_phone)):
        if value:
            try:
                return stores.contacts.find(attr, check(value))
            except ValueError as exc:
                raise InvalidInput(f"{attr} is invalid", [ErrorDetail(attr, str(exc))]) from exc
    raise InvalidInput(
        "Give an identifier to search by",
        [ErrorDetail("email", "email or phone is required")],
    )


def delete(stores: Stores, external_id: str, erase: bool) -> dict[str, Any]:
    """Delete the contact. ``erase`` (GDPR) also deletes its activity and merged profiles."""
    rec = get(stores, external_id)
    removed_events = 0
    if erase:
        removed_events += stores.events.delete_all(rec.key)
        for merged_key in rec.merged:
            alias = stores.contacts.load(merged_key)
            if alias is not None:
                removed_events += stores.events.delete_all(merged_key)
                stores.contacts.delete(alias)
        for order in stores.orders.for_contact(rec.key):
            stores.orders.table.delete({"pk": order["pk"]})
    stores.contacts.delete(rec)
    return {"externalId": external_id, "erased": erase, "eventsDeleted": removed_events}
