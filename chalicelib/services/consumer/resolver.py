"""Identity resolution: which contact (or provisional profile) a message belongs to.

Order: External ID, then an anonymous id already merged into a contact, then email, then phone,
then the anonymous profile itself. Lookups are cached for the batch.
"""

from __future__ import annotations

from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_ALIAS
from chalicelib.events.models import Identity
from chalicelib.ports import ContactStore


class Resolver:
    def __init__(self, contacts: ContactStore) -> None:
        self.contacts = contacts
        self._cache: dict[str, str] = {}

    def key_for(self, identity: Identity) -> str:
        if identity.externalId:
            return keys.known(identity.externalId)
        if identity.anonymousId:
            followed = self._follow(keys.anonymous(identity.anonymousId))
            if keys.is_known(followed):
                return followed
        if identity.email:
            return self._lookup("email", identity.email, keys.email(identity.email))
        if identity.phone:
            return self._lookup("phone", identity.phone, keys.phone(identity.phone))
        assert identity.anonymousId, "the edge rejects events without an identifier"
        return self._follow(keys.anonymous(identity.anonymousId))

    def _follow(self, key: str) -> str:
        if key not in self._cache:
            rec = self.contacts.load(key)
            self._cache[key] = rec.merged_into if rec and rec.kind == KIND_ALIAS and rec.merged_into else key
        return self._cache[key]

    def _lookup(self, attr: str, value: str, provisional: str) -> str:
        cache_key = f"{attr}:{value}"
        if cache_key not in self._cache:
            found = self.contacts.find(attr, value)
            self._cache[cache_key] = found[0].key if found else self._follow(provisional)
        return self._cache[cache_key]
