"""Merging a known contact into another, as the consumer applies ``POST /v1/contacts/{externalId}/merge``.

Called from ``ContactWriter._merge`` while the target's write is being built, so the writes follow the consumer's
rule: side writes first, every one idempotent, the target's write last, nothing undone.

1. The other contact becomes a tombstone: an alias of the target that still holds its data. It is written in one
   transaction that also checks the target is still at the version being built on (``ContactMerges.retire``), so two
   merges the opposite way can never both happen: each changes what the other checks, and the loser, finding its
   target an alias now, is redirected (``Redirect``) and merges nothing into itself.
2. Its anonymous ids, merged profiles and merged contacts are re-pointed at the target; its events move.
3. Its email and phone, if the target keeps its own, become links to the target.
4. Its data is folded into the target from the tombstone (``contacts/merging.fold_contact``) and the merge recorded.

A crash after step 1 leaves a tombstone pointing at a target that does not list it: the redelivery finds it and
rolls the rest forward from it (the tombstone keeps what it held). Followed through aliases, the same holds when the
other contact was merged into a contact that was then merged into this one.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys, merging
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.ports import Ports

log = logging.getLogger("orbit.consumer")


def merge_contact(
    ports: Ports, rec: ContactRecord, old: ContactRecord | None, source: ContactRecord | None, request: dict[str, Any]
) -> None:
    """Merge the known contact ``source`` into ``rec`` (built on ``old``, as stored) as ``request`` asked."""
    contacts = ports.contacts
    chain = merging.chain_to(source, rec.key, contacts.load) if old is not None and source is not None else None
    if source is None or old is None or chain is None:
        log.warning(
            "contact merge skipped: the other contact is gone or was merged elsewhere",
            extra={"target": keys.external_id(rec.key), "from": request.get("from")},
        )
        return
    if source.kind == KIND_CONTACT:
        ports.merges.retire(merging.tombstone(source, rec.key), source, old)
    elif source.merged_into != rec.key:
        contacts.save(merging.pointed_at(source, rec.key), source)  # reached through a chain: point straight here
    for alias in contacts.load_many([k for k in source.merged if k != rec.key]).values():
        if alias.kind == KIND_ALIAS and alias.merged_into in chain:
            contacts.save(merging.pointed_at(alias, rec.key), alias)
    for key in chain:
        ports.events.move_all(key, rec.key)
    now = iso(ports.clock.now())
    links = []
    for link in merging.links_needed(source, rec):
        found = contacts.load(link)
        if found is None:
            contacts.save(ContactRecord(key=link, kind=KIND_ALIAS, merged_into=rec.key, created_at=now), None)
        elif found.kind != KIND_ALIAS or found.merged_into != rec.key:
            continue  # a provisional profile or someone else's link: left alone
        links.append(link)
    merging.fold_contact(rec, source, {**request, "mergedAt": now}, links)
    log.info("contact merged", extra={"target": keys.external_id(rec.key), "from": request.get("from")})
