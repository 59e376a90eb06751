"""Consent written on the contact, the way every contact write happens: a copy of the stored record with the
change applied (``contacts/patch.apply_patch``), saved on the condition that the stored version is still the one
read (a concurrent write costs a retry), and announced on ``ports.changes`` so real-time segments re-evaluate
(their channel conditions read ``profile.consent``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.patch import apply_patch
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict
from chalicelib.messaging import consent
from chalicelib.messaging.outbound import CHANNELS, UNSUBSCRIBED
from chalicelib.ports import Ports

ATTEMPTS = 4
MAX_HOPS = 4  # aliases followed (a contact merged into another that was merged in turn ...)


def set_consent(
    ports: Ports,
    key: str,
    channel: str,
    status: str,
    source: str,
    *,
    reason: str | None = None,
    suppressed: str | None = None,
) -> ContactRecord | None:
    """Record ``status`` as the consent of the contact ``key`` (or the contact it was merged into) on ``channel``;
    returns the record as stored after it (unchanged when it already had that status), None when there is no
    such contact. ``source`` says what asked (``link``, ``one-click``, ``api`` ...); ``reason`` and
    ``suppressed`` record a bounce or complaint and the address it suppressed."""

    def change(profile: dict[str, Any], now: str) -> dict[str, Any] | None:
        stored = consent.entry(profile, channel)
        same = stored.get("status") == status and stored.get("reason") == reason
        if same and (suppressed is None or stored.get("suppressed") == suppressed):
            return None
        return consent.with_status(profile, channel, status, now, source, reason=reason, suppressed=suppressed)

    return write_consent(ports, key, change)


def write_consent(
    ports: Ports, key: str, change: Callable[[dict[str, Any], str], dict[str, Any] | None]
) -> ContactRecord | None:
    """Apply ``change`` (the profile and the time -> the new ``consent`` map, None: nothing to change) to the
    contact ``key`` (following merges), conditionally, announced; None when there is no such contact."""
    hops = 0
    attempt = 0
    while attempt < ATTEMPTS:
        old = ports.contacts.load(key)
        if old is not None and old.kind == KIND_ALIAS and old.merged_into and hops < MAX_HOPS:
            key, hops = old.merged_into, hops + 1
            continue
        if old is None or old.kind != KIND_CONTACT:
            return None
        now = iso(ports.clock.now())
        updated = change(old.profile, now)
        if updated is None or updated == old.profile.get("consent"):
            return old
        rec = copy.deepcopy(old)
        apply_patch(rec, {"consent": updated}, {})
        rec.updated_at = now
        try:
            ports.contacts.save(rec, old)
        except Conflict:
            attempt += 1
            continue
        ports.changes.announce(ContactChanged(before=old, after=rec))
        return rec
    raise Conflict("The contact is being updated concurrently; retry")


def view(record: ContactRecord) -> dict[str, Any]:
    """The contact's consent as the API shows it: every sendable channel (no entry: ``subscribed``) and the
    subscription categories."""
    channels: dict[str, Any] = {}
    for channel in CHANNELS:
        stored = dict(consent.entry(record.profile, channel))
        shown: dict[str, Any] = {"status": consent.status(record.profile, channel), "at": None, "source": None}
        shown.update({k: v for k, v in stored.items() if k != "status"})
        if shown["status"] == UNSUBSCRIBED and consent.suppressed(record.profile, record.channels, channel):
            shown["suppressed"] = True
        elif "suppressed" in shown:
            shown["suppressed"] = False
        channels[channel] = shown
    return {"channels": channels, "categories": consent.categories(record.profile)}


def update(
    ports: Ports, key: str, channels: dict[str, str], categories: dict[str, str], source: str
) -> ContactRecord | None:
    """Set the statuses in ``channels`` and ``categories`` in one write (a status already held is kept with its
    time and source). Subscribing a channel again lifts a bounce's or complaint's suppression."""

    def change(profile: dict[str, Any], now: str) -> dict[str, Any] | None:
        current = dict(profile)
        for channel, status in channels.items():
            if consent.entry(current, channel).get("status") != status:
                current["consent"] = consent.with_status(current, channel, status, now, source)
        if categories:
            current["consent"] = consent.with_categories(current, categories, now, source)
        return current.get("consent") if current.get("consent") != profile.get("consent") else None

    return write_consent(ports, key, change)
