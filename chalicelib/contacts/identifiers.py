"""Identifiers as rules see them: which contact holds one, and the digest an erasure suppresses.

An identifier is written as the contact key it would have (``contacts/keys.py``): ``x#`` + External ID, ``e#`` + the
lowercased email, ``p#`` + the E.164 phone, ``a#`` + an anonymous id. One email (or phone) is held by at most one
contact: a write that would give it to a second one is refused (``services/contacts.py``). Where two contacts hold
one anyway (data from before the rule, or two writes racing within the email index's propagation delay), it
resolves to ``holder``: the contact created first, ties broken by External ID, so the choice never changes while
the two exist (most recently updated first would move the identifier on every edit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord

FINDABLE = ("email", "phone")
_KEY_OF = {"email": keys.email, "phone": keys.phone}


def digest(key: str) -> str:
    """SHA-256 (hex) of an identifier's key: what the suppression list stores instead of the identifier."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_of(attr: str, value: str) -> str:
    """The key of an email or phone value (``e#...``, ``p#...``)."""
    return _KEY_OF[attr](value)


def holder(found: Iterable[ContactRecord]) -> ContactRecord | None:
    """The contact an identifier resolves to among the known contacts holding it: created first, then by key."""
    contacts = [r for r in found if r.kind == KIND_CONTACT]
    return min(contacts, key=lambda r: (r.created_at, r.key)) if contacts else None


def identifier_keys(rec: ContactRecord) -> list[str]:
    """The keys of every identifier the record itself carries: its own key, its email and its phone."""
    found = [rec.key]
    for attr in FINDABLE:
        value = rec.profile.get(attr)
        if isinstance(value, str) and value:
            found.append(key_of(attr, value))
    return found
