"""Contact use cases: upsert by External ID, read the card and its activity, find, merge, delete and erase.

Every write is announced once on ``ports.changes`` (a deletion as ``after=None``). The identity rules (one
email or phone per contact, how an identifier resolves, merges, deletion and erasure) are in
``docs/data-model.md`` ("Identity and erasure").
"""

from __future__ import annotations

import contextvars
import copy
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.catalog.enrichment import catalog_fields
from chalicelib.clock import iso
from chalicelib.contacts import aggregates, identifiers, keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.fields import FieldDeclaration, validate_values
from chalicelib.contacts.models import ContactCard, ContactIn, Membership, MergeRecord
from chalicelib.contacts.patch import apply_patch, check_external_id
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.events.models import Event, Identity
from chalicelib.messages import MergeMsg
from chalicelib.ports import Ports
from chalicelib.validation import normalize_email, normalize_phone

log = logging.getLogger("orbit.contacts")
ATTEMPTS = 4


def upsert(ports: Ports, external_id: str, body: ContactIn, explicit: bool = False) -> tuple[ContactRecord, bool]:
    """Create or partially update a contact; returns the record and whether it was created.

    ``explicit``: a ``PUT /v1/contacts/{id}`` for this one person, which lifts the suppression an erasure put on
    the External ID, email and phone it writes. Otherwise (an import row) a suppressed identifier is refused, so a
    bulk sync never brings an erased person back."""
    rec, old = _write(ports, external_id, body, explicit, ports.fields.fields(), _NOT_LOADED)
    ports.changes.announce(ContactChanged(before=old, after=rec))
    _merge_provisional(ports, rec, old)
    return rec, old is None


_NOT_LOADED: Any = object()
Upserted = tuple[ContactRecord, bool]


def upsert_many(ports: Ports, rows: Sequence[tuple[str, ContactIn]]) -> list[Upserted | Exception]:
    """``upsert`` (not explicit) of many contacts, as an import chunk: each row's result or the exception its
    ``upsert`` would have raised, in row order.

    Faster than one ``upsert`` after another, with the same outcome: the declarations are read once, the
    contacts in one BatchGetItem (a stale one only costs a retry: the write is conditional on the version), and
    rows are applied ``consumer_concurrency`` at a time. Rows that share an External ID, email or phone (the
    ones in the row, or the ones the stored contact holds) run one after another in row order, so the
    uniqueness rule decides between them exactly as it would in sequence. Changes are announced on the
    calling thread, in row order."""
    declared = ports.fields.fields()
    row_keys: list[str | None] = []
    for external_id, _body in rows:
        try:
            row_keys.append(keys.known(check_external_id(external_id)))
        except InvalidInput:
            row_keys.append(None)
    stored = ports.contacts.load_many(sorted({k for k in row_keys if k}))
    lanes = _lanes(rows, row_keys, stored)
    outcomes: list[tuple[ContactRecord | None, ContactRecord | None, Exception | None]] = [(None, None, None)] * len(
        rows
    )

    def run(lane: list[int]) -> None:
        seen: set[str] = set()
        for i in lane:
            key = row_keys[i]
            loaded = stored.get(key) if key and key not in seen else _NOT_LOADED
            if key:
                seen.add(key)
            external_id, body = rows[i]
            try:
                rec, old = _write(ports, external_id, body, False, declared, loaded)
            except Exception as exc:  # reported for the row, as upsert would raise it
                outcomes[i] = (None, None, exc)
                continue
            try:
                _merge_provisional(ports, rec, old)
                outcomes[i] = (rec, old, None)
            except Exception as exc:  # written, then failed: announced, and reported for the row
                outcomes[i] = (rec, old, exc)

    workers = min(ports.settings.consumer_concurrency, len(lanes))
    if workers <= 1:
        for lane in lanes:
            run(lane)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="upsert") as pool:
            for future in [pool.submit(contextvars.copy_context().run, run, lane) for lane in lanes]:
                future.result()
    results: list[Upserted | Exception] = []
    for rec, old, problem in outcomes:
        if rec is not None:
            ports.changes.announce(ContactChanged(before=old, after=rec))
        results.append(problem if problem is not None else (rec, old is None))  # type: ignore[arg-type]
    return results


def _lanes(
    rows: Sequence[tuple[str, ContactIn]], row_keys: list[str | None], stored: dict[str, ContactRecord]
) -> list[list[int]]:
    """Row indexes grouped so rows sharing an identifier (the key, an email or phone given or held) share a
    group; each group in row order."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, (external_id, body) in enumerate(rows):
        held = stored.get(row_keys[i] or "")
        names = [f"id:{row_keys[i] or external_id}"]
        for attr in identifiers.FINDABLE:
            for value in (getattr(body, attr, None), held.profile.get(attr) if held else None):
                if isinstance(value, str) and value:
                    names.append(f"{attr}:{value}")
        for name in names:
            if name in first:
                a, b = root(first[name]), root(i)
                parent[max(a, b)] = min(a, b)
            else:
                first[name] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _write(
    ports: Ports,
    external_id: str,
    body: ContactIn,
    explicit: bool,
    declared: dict[str, FieldDeclaration],
    loaded: ContactRecord | None,
) -> tuple[ContactRecord, ContactRecord | None]:
    """The write of ``upsert``: returns the record written and the one it replaced. ``loaded``: the stored
    record as already read (``_NOT_LOADED``: read it); a stale one costs a retry."""
    check_external_id(external_id)
    patch = body.model_dump(mode="json", exclude_unset=True)
    clean, errors = validate_values(declared, patch.get("fields") or {})
    if errors:
        raise InvalidInput("The request body is invalid", errors)
    key = keys.known(external_id)
    for attempt in range(ATTEMPTS):
        old = loaded if attempt == 0 and loaded is not _NOT_LOADED else ports.contacts.load(key)
        if old is not None and old.kind == KIND_ALIAS and old.merged_into:
            target = keys.external_id(old.merged_into)
            raise Conflict(
                f"Contact {external_id!r} was merged into {target!r}; update that contact",
                [ErrorDetail("externalId", f"is an alias of the contact with External ID {target!r}")],
            )
        _check_unique(ports, key, patch, old)
        now = iso(ports.clock.now())
        rec = copy.deepcopy(old) if old else ContactRecord(key=key, created_at=now)
        if rec.kind != KIND_CONTACT:
            rec.kind = KIND_CONTACT
        apply_patch(rec, patch, clean)
        rec.updated_at = now
        if not explicit:
            _refuse_suppressed(ports, rec)
        try:
            ports.contacts.save(rec, old)
        except Conflict:
            continue
        if explicit:
            _lift(ports, rec)
        return rec, old
    raise Conflict("The contact is being updated concurrently; retry")


def _check_unique(ports: Ports, key: str, patch: dict[str, Any], old: ContactRecord | None) -> None:
    """An email or phone identifies one contact: giving one to a second contact is a 409 naming the holder."""
    for attr in identifiers.FINDABLE:
        value = patch.get(attr)
        if not isinstance(value, str) or (old is not None and old.profile.get(attr) == value):
            continue
        others = [r for r in ports.contacts.find(attr, value) if r.key != key and r.profile.get(attr) == value]
        holder = identifiers.holder(others)
        if holder is not None:
            held_by = keys.external_id(holder.key)
            raise Conflict(
                f"The {attr} {value} is held by the contact with External ID {held_by!r}",
                [
                    ErrorDetail(
                        attr, f"is held by the contact with External ID {held_by!r}; an {attr} identifies one contact"
                    )
                ],
            )


def _refuse_suppressed(ports: Ports, rec: ContactRecord) -> None:
    suppressed = _suppressed(ports, identifiers.identifier_keys(rec))
    if suppressed:
        names = sorted({_identifier_name(k) for k in suppressed})
        raise Conflict(
            "An erasure suppressed this person; re-create them with PUT /v1/contacts/{externalId}",
            [ErrorDetail(name, "was erased (suppressed); only an explicit PUT brings it back") for name in names],
        )


def _lift(ports: Ports, rec: ContactRecord) -> None:
    suppressed = _suppressed(ports, identifiers.identifier_keys(rec))
    if suppressed:
        ports.suppressions.lift([identifiers.digest(k) for k in suppressed])
        log.info(
            "suppression lifted by an explicit PUT", extra={"identifiers": sorted(map(_identifier_name, suppressed))}
        )


def _suppressed(ports: Ports, identifier_keys: list[str]) -> set[str]:
    by_digest = {identifiers.digest(k): k for k in identifier_keys}
    return {by_digest[d] for d in ports.suppressions.suppressed(list(by_digest))}


def _identifier_name(key: str) -> str:
    return {keys.KNOWN: "externalId", keys.EMAIL: "email", keys.PHONE: "phone"}.get(key[:2], "anonymousId")


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
        mergeHistory=[MergeRecord.model_validate(entry) for entry in rec.merge_history],
        createdAt=rec.created_at,
        updatedAt=rec.updated_at,
        aggregates=_with_catalog(ports, aggregates.summary(rec.aggs or aggregates.empty(), ports.clock.now())),
    )


def with_memberships(ports: Ports, card: ContactCard, rec: ContactRecord) -> ContactCard:
    """The card with the lists and segments the contact is in (served generations only)."""
    definitions = {d.id: d for d in ports.segments.segments()}
    lists: list[Membership] = []
    segments: list[Membership] = []
    for generation, state in ports.memberships.for_contact(rec.key):
        definition = definitions.get(generation.segment_id)
        if definition is None or not state.member or definition.serving != generation:
            continue
        (lists if definition.kind == "list" else segments).append(Membership(id=definition.id, since=state.since))
    return card.model_copy(
        update={"lists": sorted(lists, key=lambda m: m.id), "segments": sorted(segments, key=lambda m: m.id)}
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
    if rec is not None and rec.kind == KIND_ALIAS and rec.merged_into and keys.is_known(rec.merged_into):
        target = keys.external_id(rec.merged_into)
        raise NotFound(
            f"No contact with External ID {external_id!r}: it was merged into {target!r}",
            [ErrorDetail("externalId", f"was merged into the contact with External ID {target!r}")],
        )
    if rec is None or rec.kind != KIND_CONTACT:
        raise NotFound(f"No contact with External ID {external_id!r}")
    return rec


def find(ports: Ports, email: str | None, phone: str | None) -> tuple[list[ContactRecord], ContactRecord | None]:
    """The contacts holding the email (or phone), the one it resolves to first, and that one (None: the
    identifier resolves to no contact). The consumer resolves by the same ``Resolver``."""
    from chalicelib.services.consumer.resolver import Resolver  # the consumer's package stays off the cold start

    for attr, value, check in (("email", email, normalize_email), ("phone", phone, normalize_phone)):
        if value:
            try:
                normalized = check(value)
            except ValueError as exc:
                raise InvalidInput(f"{attr} is invalid", [ErrorDetail(attr, str(exc))]) from exc
            resolver = Resolver(ports.contacts)
            holders = resolver.holders(attr, normalized)
            key = resolver.key_for(Identity.model_validate({attr: normalized}))
            resolved = next((h for h in holders if h.key == key), None)
            if resolved is None and keys.is_known(key):
                linked = resolver.record(key)  # a link: the identifier came in with a merged contact
                resolved = linked if linked is not None and linked.kind == KIND_CONTACT else None
            return ([resolved] if resolved else []) + [h for h in holders if h is not resolved], resolved
    raise InvalidInput(
        "Give an identifier to search by",
        [ErrorDetail("email", "email or phone is required")],
    )


def activity(ports: Ports, external_id: str, limit: int, cursor: str | None) -> tuple[list[Event], str | None]:
    """A page of the contact's events, newest first, and the cursor of the next page."""
    rec = get(ports, external_id)
    return ports.events.activity(rec.key, limit, cursor)
