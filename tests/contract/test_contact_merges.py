"""ContactMerges: a contact becomes an alias of another only if neither changed since they were read; and the
merge history a contact keeps loads back as written (ContactStore)."""

from __future__ import annotations

import copy

import pytest

from chalicelib.contacts.record import KIND_ALIAS, ContactRecord
from chalicelib.errors import Conflict
from chalicelib.ports import ContactMerges, ContactStore, Ports

AT = "2026-11-27T12:00:00.000Z"


@pytest.fixture
def merges(wired: Ports) -> ContactMerges:
    return wired.merges


def stored(contacts: ContactStore, key: str, **profile: str) -> ContactRecord:
    contacts.save(ContactRecord(key=key, profile=dict(profile), created_at=AT, updated_at=AT), None)
    loaded = contacts.load(key)
    assert loaded is not None
    return loaded


def alias_of(source: ContactRecord, target_key: str) -> ContactRecord:
    alias = copy.deepcopy(source)
    alias.kind, alias.merged_into = KIND_ALIAS, target_key
    return alias


def test_a_contact_is_retired_as_an_alias_when_both_are_unchanged(
    contacts: ContactStore, merges: ContactMerges
) -> None:
    target, source = stored(contacts, "x#u-1"), stored(contacts, "x#u-2", firstName="Bob")
    alias = alias_of(source, target.key)

    merges.retire(alias, source, target)

    loaded = contacts.load("x#u-2")
    assert alias.version == 2
    assert loaded is not None and (loaded.kind, loaded.merged_into, loaded.version) == (KIND_ALIAS, "x#u-1", 2)
    assert loaded.profile == {"firstName": "Bob"}, "the tombstone keeps what it held"
    again = contacts.load("x#u-1")
    assert again is not None and again.version == target.version, "the target is only checked, never written"


def test_retiring_is_a_conflict_when_the_target_changed_and_writes_nothing(
    contacts: ContactStore, merges: ContactMerges
) -> None:
    target, source = stored(contacts, "x#u-1"), stored(contacts, "x#u-2")
    contacts.save(ContactRecord(key="x#u-1", profile={"firstName": "Ann"}, created_at=AT, updated_at=AT), target)

    with pytest.raises(Conflict):
        merges.retire(alias_of(source, target.key), source, target)

    loaded = contacts.load("x#u-2")
    assert loaded is not None and loaded.kind != KIND_ALIAS and loaded.version == 1


def test_retiring_is_a_conflict_when_the_contact_itself_changed(contacts: ContactStore, merges: ContactMerges) -> None:
    target, source = stored(contacts, "x#u-1"), stored(contacts, "x#u-2")
    contacts.save(ContactRecord(key="x#u-2", profile={"firstName": "Bob"}, created_at=AT, updated_at=AT), source)

    with pytest.raises(Conflict):
        merges.retire(alias_of(source, target.key), source, target)

    loaded = contacts.load("x#u-2")
    assert loaded is not None and loaded.kind != KIND_ALIAS and loaded.profile == {"firstName": "Bob"}


def test_retiring_into_a_deleted_target_is_a_conflict(contacts: ContactStore, merges: ContactMerges) -> None:
    target, source = stored(contacts, "x#u-1"), stored(contacts, "x#u-2")
    contacts.delete(target)

    with pytest.raises(Conflict):
        merges.retire(alias_of(source, target.key), source, target)


def test_two_opposite_retirements_cannot_both_happen(contacts: ContactStore, merges: ContactMerges) -> None:
    # GIVEN u-1 and u-2 read by two merges the opposite way
    one, two = stored(contacts, "x#u-1"), stored(contacts, "x#u-2")
    # WHEN the first retires u-2 into u-1, the second cannot retire u-1 into u-2
    merges.retire(alias_of(two, one.key), two, one)
    with pytest.raises(Conflict):
        merges.retire(alias_of(one, two.key), one, two)
    # THEN u-1 is still a contact
    loaded = contacts.load("x#u-1")
    assert loaded is not None and loaded.kind != KIND_ALIAS


def test_a_contacts_merge_history_loads_back_as_written(contacts: ContactStore) -> None:
    entry = {"from": "u-2", "by": "backend", "requestedAt": AT, "mergedAt": AT}
    rec = ContactRecord(key="x#u-1", merge_history=[entry], created_at=AT, updated_at=AT)

    contacts.save(rec, None)

    loaded = contacts.load("x#u-1")
    assert loaded is not None and loaded.merge_history == [entry]
