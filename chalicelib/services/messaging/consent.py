"""Consent written on the contact, the way every contact write happens: a copy of the stored record with the
change applied (``contacts/patch.apply_patch``), saved on the condition that the stored version is still the one
read (a concurrent write costs a retry), and announced on ``ports.changes`` so real-time segments re-evaluate
(their channel conditions read ``profile.consent``)."""

from __future__ import annotations

import copy

from chalicelib.clock import iso
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.patch import apply_patch
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict
from chalicelib.messaging import consent
from chalicelib.ports import Ports

ATTEMPTS = 4
MAX_HOPS = 4  # aliases followed (a contact merged into another that was merged in turn ...)


def set_consent(ports: Ports, key: str, channel: str, status: str, source: str) -> ContactRecord | None:
    """Record ``status`` as the consent of the contact ``key`` (or the contact it was merged into) on ``channel``;
    returns the record as stored after it (unchanged when it already had that status), None when there is no
    such contact. ``source`` says what asked (``link``, ``one-click``, ``api`` ...)."""
    hops = 0
    attempt = 0
    while attempt < ATTEMPTS:
        old = ports.contacts.load(key)
        if old is not None and old.kind == KIND_ALIAS and old.merged_into and hops < MAX_HOPS:
            key, hops = old.merged_into, hops + 1
            continue
        if old is None or old.kind != KIND_CONTACT:
            return None
        entry = (old.profile.get("consent") or {}).get(channel)
        if isinstance(entry, dict) and entry.get("status") == status:
            return old
        now = iso(ports.clock.now())
        rec = copy.deepcopy(old)
        apply_patch(rec, {"consent": consent.with_status(old.profile, channel, status, now, source)}, {})
        rec.updated_at = now
        try:
            ports.contacts.save(rec, old)
        except Conflict:
            attempt += 1
            continue
        ports.changes.announce(ContactChanged(before=old, after=rec))
        return rec
    raise Conflict("The contact is being updated concurrently; retry")
