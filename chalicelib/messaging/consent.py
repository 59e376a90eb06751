"""Consent: whether a contact may get a message on a channel, and where it goes.

A contact's consent lives on its profile, per channel, as segment conditions read it
(``segments/evaluate.py``, channel conditions)::

    profile["consent"]["email"] = {"status": "subscribed" | "unsubscribed", "at": "<ISO>", "source": "<what>"}

No entry means subscribed (a contact given to Orbit with an address may be written to, as eSputnik does; double
opt-in is ``services/messaging/optin.py``). An unsubscribed channel refuses every message, transactional ones
too (except while a double opt-in is ``unconfirmed``: then only transactional ones go, the confirmation first);
an address a hard bounce or complaint suppressed is ``unreachable``. Transactional messages bypass frequency caps
and send hours, never consent. A channel is reachable as segments define it: ``email`` a profile email, ``sms``
a phone, ``viber`` an active Viber identifier or the phone (Viber business messages are addressed by phone
number), the others an active identifier of their type.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.messaging.outbound import UNREACHABLE, UNSUBSCRIBED

SUBSCRIBED = "subscribed"
STATUSES = (SUBSCRIBED, UNSUBSCRIBED)
CATEGORIES = "categories"  # ``consent["categories"][name]``: subscription categories (newsletters, offers ...)
BOUNCED = "bounced"
COMPLAINED = "complained"
UNCONFIRMED = "unconfirmed"  # double opt-in asked, not confirmed: unsubscribed, but transactional messages go
SUPPRESSING = (BOUNCED, COMPLAINED)  # reasons that suppress the address they name


def status(profile: Mapping[str, Any], channel: str) -> str:
    """The contact's consent on ``channel``: ``subscribed`` unless it says ``unsubscribed``."""
    consent = profile.get("consent")
    entry = consent.get(channel) if isinstance(consent, Mapping) else None
    stored = entry.get("status") if isinstance(entry, Mapping) else None
    return UNSUBSCRIBED if stored == UNSUBSCRIBED else SUBSCRIBED


def entry(profile: Mapping[str, Any], channel: str) -> Mapping[str, Any]:
    """The stored consent entry of ``channel`` (empty when none)."""
    consent = profile.get("consent")
    found = consent.get(channel) if isinstance(consent, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def categories(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's subscription categories, ``{name: {"status", "at", "source"}}``."""
    found = entry(profile, CATEGORIES)
    return {k: dict(v) for k, v in found.items() if isinstance(v, Mapping)}


def with_status(
    profile: Mapping[str, Any],
    channel: str,
    new: str,
    at: str,
    source: str,
    *,
    reason: str | None = None,
    suppressed: str | None = None,
) -> dict[str, Any]:
    """The profile's ``consent`` map with ``channel`` set to ``new`` (a copy; other channels kept). ``reason``
    says why (``bounced``, ``complained``); ``suppressed`` is the address a bounce or complaint suppressed."""
    if new not in STATUSES:
        raise ValueError(f"consent status must be one of {STATUSES}, not {new!r}")
    consent = profile.get("consent")
    updated: dict[str, Any] = copy.deepcopy(dict(consent)) if isinstance(consent, Mapping) else {}
    written: dict[str, Any] = {"status": new, "at": at, "source": source}
    if reason is not None:
        written["reason"] = reason
    if suppressed is not None:
        written["suppressed"] = suppressed
    updated[channel] = written
    return updated


def with_categories(profile: Mapping[str, Any], changes: Mapping[str, str], at: str, source: str) -> dict[str, Any]:
    """The profile's ``consent`` map with the subscription categories in ``changes`` set (a copy)."""
    consent = profile.get("consent")
    updated: dict[str, Any] = copy.deepcopy(dict(consent)) if isinstance(consent, Mapping) else {}
    current = categories(profile)
    for name, new in changes.items():
        if new not in STATUSES:
            raise ValueError(f"consent status must be one of {STATUSES}, not {new!r}")
        if current.get(name, {}).get("status") != new:
            current[name] = {"status": new, "at": at, "source": source}
    updated[CATEGORIES] = current
    return updated


def suppressed(profile: Mapping[str, Any], channels: Sequence[Any], channel: str) -> bool:
    """Whether the channel's current address is the one a hard bounce or complaint suppressed."""
    stored = entry(profile, channel)
    if stored.get("reason") not in SUPPRESSING or stored.get("status") != UNSUBSCRIBED:
        return False
    to = address(profile, channels, channel) or {}
    return bool(stored.get("suppressed")) and stored.get("suppressed") in {str(v).lower() for v in to.values()}


def address(profile: Mapping[str, Any], channels: Sequence[Any], channel: str) -> dict[str, Any] | None:
    """Where a message on ``channel`` goes (None: the contact cannot be reached there)."""
    identifiers = [
        c
        for c in channels
        if isinstance(c, Mapping) and c.get("type") == channel and c.get("active", True) is not False and c.get("value")
    ]
    if channel == "email":
        email = profile.get("email")
        return {"email": email} if isinstance(email, str) and email else None
    phone = profile.get("phone")
    if channel == "sms":
        return {"phone": phone} if isinstance(phone, str) and phone else None
    if identifiers:
        latest = identifiers[-1]  # the most recently given
        found: dict[str, Any] = {"type": channel, "value": latest["value"]}
        for extra in ("appId", "subscription"):
            if latest.get(extra) is not None:
                found[extra] = latest[extra]
        return found
    if channel == "viber" and isinstance(phone, str) and phone:
        return {"phone": phone}
    return None


@dataclass(frozen=True)
class Decision:
    """Whether a message may go out; when not, why (``failure``: the code, ``reason``: the sentence)."""

    allowed: bool
    failure: str | None = None
    reason: str | None = None


def check(profile: Mapping[str, Any], channels: Sequence[Any], channel: str, transactional: bool) -> Decision:
    """May a message on ``channel`` go to this contact? Consent and reachability apply to every message; the
    frequency caps and send hours that ``transactional`` bypasses come with campaigns."""
    if address(profile, channels, channel) is None:
        return Decision(False, UNREACHABLE, f"the contact has no {channel} address")
    if suppressed(profile, channels, channel):
        reason = entry(profile, channel).get("reason")
        return Decision(False, UNREACHABLE, f"the contact's {channel} address is suppressed ({reason})")
    if status(profile, channel) == UNSUBSCRIBED:
        if entry(profile, channel).get("reason") == UNCONFIRMED:
            if transactional:  # the double opt-in confirmation itself, order mails ...
                return Decision(True)
            return Decision(False, UNSUBSCRIBED, f"the contact has not confirmed its {channel} subscription")
        return Decision(False, UNSUBSCRIBED, f"the contact unsubscribed from {channel}")
    return Decision(True)
