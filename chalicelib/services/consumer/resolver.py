"""Identity resolution: which contact (or provisional profile) a message belongs to.

Order: External ID, then an anonymous id already merged into a contact, then email, then phone,
then the anonymous profile itself. An email or phone resolves to the contact holding it, by the one rule
the lookup API uses too (``contacts/identifiers.holder``: the contact created first when, against the rule
that an identifier is held once, several hold it), else to where its provisional profile or link points.
Lookups are cached for the batch. The resolver also says which identifiers an erasure suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.contacts import identifiers, keys
from chalicelib.contacts.record import KIND_ALIAS, ContactRecord
from chalicelib.events.models import Identity
from chalicelib.ports import ContactStore, Suppressions


class Resolver:
    def __init__(self, contacts: ContactStore, suppressions: Suppressions | None = None) -> None:
        self.contacts = contacts
        self.suppressions = suppressions
        self._cache: dict[str, str] = {}
        self._holders: dict[str, list[ContactRecord]] = {}
        self._records: dict[str, ContactRecord | None] = {}

    def key_for(self, identity: Identity) -> str:
        return self.resolve(identity)[0]

    def resolve(self, identity: Identity) -> tuple[str, tuple[str, ...]]:
        """The key the identity's messages belong to, and the keys of the identifiers that decided it."""
        if identity.externalId:
            return keys.known(identity.externalId), ()
        if identity.anonymousId:
            anonymous = keys.anonymous(identity.anonymousId)
            followed = self._follow(anonymous)
            if keys.is_known(followed):
                return followed, (anonymous,)
        if identity.email:
            email = keys.email(identity.email)
            return self._lookup("email", identity.email, email), (email,)
        if identity.phone:
            phone = keys.phone(identity.phone)
            return self._lookup("phone", identity.phone, phone), (phone,)
        assert identity.anonymousId, "the edge rejects events without an identifier"
        anonymous = keys.anonymous(identity.anonymousId)
        return self._follow(anonymous), (anonymous,)

    def holders(self, attr: str, value: str) -> list[ContactRecord]:
        """The known contacts holding this email or phone, the one it resolves to first (``identifiers.holder``)."""
        cache_key = f"{attr}:{value}"
        if cache_key not in self._holders:
            found = [r for r in self.contacts.find(attr, value) if r.profile.get(attr) == value]
            first = identifiers.holder(found)
            self._holders[cache_key] = ([first] if first else []) + sorted(
                (r for r in found if r is not first), key=lambda r: (r.created_at, r.key)
            )
        return self._holders[cache_key]

    def record(self, key: str) -> ContactRecord | None:
        """The stored record at ``key`` (read once per batch)."""
        if key not in self._records:
            self._records[key] = self.contacts.load(key)
        return self._records[key]

    def suppressed(self, identifier_keys: Iterable[str]) -> set[str]:
        """Which of these identifier keys an erasure suppressed (one batched read)."""
        by_digest = {identifiers.digest(k): k for k in identifier_keys}
        if self.suppressions is None or not by_digest:
            return set()
        return {by_digest[d] for d in self.suppressions.suppressed(list(by_digest))}

    def _follow(self, key: str) -> str:
        if key not in self._cache:
            rec = self.record(key)
            self._cache[key] = rec.merged_into if rec and rec.kind == KIND_ALIAS and rec.merged_into else key
        return self._cache[key]

    def _lookup(self, attr: str, value: str, provisional: str) -> str:
        found = self.holders(attr, value)
        return found[0].key if found else self._follow(provisional)
