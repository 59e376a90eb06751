"""ContactStore: records by key with optimistic versions, segments of a scan, find by email/phone."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.contacts import aggregates
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, KIND_PROFILE, ContactRecord
from chalicelib.errors import Conflict
from chalicelib.ports import ContactStore


def record(
    key: str, kind: str = KIND_CONTACT, updated_at: str = "2026-11-27T12:00:00.000Z", **profile: Any
) -> ContactRecord:
    return ContactRecord(key=key, kind=kind, profile=dict(profile), created_at=updated_at, updated_at=updated_at)


def state(rec: ContactRecord | None) -> tuple[Any, ...] | None:
    """What a record says (not its size bookkeeping)."""
    if rec is None:
        return None
    return (
        rec.key,
        rec.kind,
        rec.profile,
        rec.fields,
        rec.channels,
        rec.aggs,
        rec.merged,
        rec.merged_into,
        rec.version,
        rec.created_at,
        rec.updated_at,
    )


def saved(contacts: ContactStore, rec: ContactRecord) -> ContactRecord:
    contacts.save(rec, None)
    loaded = contacts.load(rec.key)
    assert loaded is not None
    return loaded


def test_an_unknown_key_loads_as_none(contacts: ContactStore) -> None:
    assert contacts.load("x#nobody") is None


def test_a_new_record_is_stored_at_version_1_and_loads_back_as_written(contacts: ContactStore) -> None:
    rec = ContactRecord(
        key="x#u-1",
        profile={"email": "ann@example.com", "firstName": "Ann", "address": {"town": "Kyiv", "postcode": None}},
        fields={"tier": "gold", "score": 4.5, "tags": ["a", "b"]},
        channels=[{"type": "telegram", "value": "123", "active": True}],
        aggs={**aggregates.empty(), "counters": {"Login": {"20261127": 2}}},
        merged=["a#anon-1"],
        created_at="2026-11-27T12:00:00.000Z",
        updated_at="2026-11-27T12:00:00.000Z",
    )

    contacts.save(rec, None)

    assert rec.version == 1
    assert state(contacts.load("x#u-1")) == state(rec)


def test_a_loaded_record_is_a_copy_the_caller_may_change(contacts: ContactStore) -> None:
    # GIVEN a stored contact
    loaded = saved(contacts, record("x#u-1", email="ann@example.com"))
    # WHEN the caller changes what it loaded without saving
    loaded.profile["email"] = "changed@example.com"
    loaded.aggs["counters"]["Login"] = {"20261127": 1}
    # THEN the store still holds what was saved
    again = contacts.load("x#u-1")
    assert again is not None and again.profile == {"email": "ann@example.com"} and again.aggs == aggregates.empty()


def test_saving_over_the_loaded_version_bumps_the_version(contacts: ContactStore) -> None:
    old = saved(contacts, record("x#u-1", firstName="Ann"))
    new = record("x#u-1", firstName="Anna")

    contacts.save(new, old)

    assert new.version == 2
    assert state(contacts.load("x#u-1")) == state(new)


def test_creating_a_record_that_exists_is_a_conflict_and_writes_nothing(contacts: ContactStore) -> None:
    saved(contacts, record("x#u-1", firstName="Ann"))

    with pytest.raises(Conflict):
        contacts.save(record("x#u-1", firstName="Bob"), None)

    loaded = contacts.load("x#u-1")
    assert loaded is not None and loaded.profile == {"firstName": "Ann"} and loaded.version == 1


def test_saving_over_a_stale_version_is_a_conflict_and_writes_nothing(contacts: ContactStore) -> None:
    # GIVEN two writers that loaded version 1, and the first one saved version 2
    first = saved(contacts, record("x#u-1", firstName="Ann"))
    contacts.save(record("x#u-1", firstName="Anna"), first)
    # WHEN the second one saves over version 1
    with pytest.raises(Conflict):
        contacts.save(record("x#u-1", firstName="Bob"), first)
    # THEN the first one's write stands
    loaded = contacts.load("x#u-1")
    assert loaded is not None and loaded.profile == {"firstName": "Anna"} and loaded.version == 2


def test_saving_over_a_deleted_record_is_a_conflict(contacts: ContactStore) -> None:
    old = saved(contacts, record("x#u-1"))
    contacts.delete(old)

    with pytest.raises(Conflict):
        contacts.save(record("x#u-1", firstName="Ann"), old)
    assert contacts.load("x#u-1") is None


def test_a_deleted_record_is_gone_and_can_be_created_again(contacts: ContactStore) -> None:
    contacts.delete(saved(contacts, record("x#u-1", firstName="Ann")))
    assert contacts.load("x#u-1") is None

    again = record("x#u-1", firstName="Bob")
    contacts.save(again, None)
    assert again.version == 1


def test_load_many_returns_the_stored_records_and_leaves_missing_ones_out(contacts: ContactStore) -> None:
    saved(contacts, record("x#u-1"))
    saved(contacts, record("e#ann@example.com", kind=KIND_PROFILE, email="ann@example.com"))

    found = contacts.load_many(["x#u-1", "x#missing", "e#ann@example.com", "x#u-1"])

    assert sorted(found) == ["e#ann@example.com", "x#u-1"]
    assert found["e#ann@example.com"].profile == {"email": "ann@example.com"}
    assert contacts.load_many([]) == {}


def test_a_provisional_profile_keeps_its_email_and_phone(contacts: ContactStore) -> None:
    rec = record("e#ann@example.com", kind=KIND_PROFILE, email="ann@example.com", phone="+380501234567")

    loaded = saved(contacts, rec)

    assert loaded.kind == KIND_PROFILE and loaded.profile == {"email": "ann@example.com", "phone": "+380501234567"}


def test_find_returns_known_contacts_with_the_email_most_recently_updated_first(contacts: ContactStore) -> None:
    saved(contacts, record("x#old", updated_at="2026-11-01T00:00:00.000Z", email="ann@example.com"))
    saved(contacts, record("x#new", updated_at="2026-11-20T00:00:00.000Z", email="ann@example.com"))
    saved(contacts, record("x#mid", updated_at="2026-11-10T00:00:00.000Z", email="ann@example.com"))
    saved(contacts, record("x#other", email="bob@example.com"))

    found = contacts.find("email", "ann@example.com")

    assert [r.key for r in found] == ["x#new", "x#mid", "x#old"]
    assert found[0].profile == {"email": "ann@example.com"}


def test_find_never_returns_provisional_profiles_or_alias_links(contacts: ContactStore) -> None:
    saved(contacts, record("e#ann@example.com", kind=KIND_PROFILE, email="ann@example.com"))
    saved(contacts, record("a#anon-1", kind=KIND_ALIAS, email="ann@example.com", phone="+380501234567"))
    saved(contacts, record("x#u-1", phone="+380501234567"))

    assert contacts.find("email", "ann@example.com") == []
    assert [r.key for r in contacts.find("phone", "+380501234567")] == ["x#u-1"]


def test_find_follows_a_changed_email(contacts: ContactStore) -> None:
    # GIVEN a contact whose email changed from ann@ to anna@
    old = saved(contacts, record("x#u-1", email="ann@example.com"))
    contacts.save(record("x#u-1", email="anna@example.com"), old)
    # THEN only the new address finds it
    assert contacts.find("email", "ann@example.com") == []
    assert [r.key for r in contacts.find("email", "anna@example.com")] == ["x#u-1"]


def test_scan_segments_are_disjoint_and_together_hold_every_record(contacts: ContactStore) -> None:
    keys = {f"x#u-{n}" for n in range(12)} | {f"a#anon-{n}" for n in range(4)}
    for key in keys:
        contacts.save(record(key, kind=KIND_CONTACT if key.startswith("x#") else KIND_PROFILE), None)

    segments = [[r.key for r in contacts.scan(segment, 3)] for segment in range(3)]

    assert sorted(k for part in segments for k in part) == sorted(keys)  # complete, and no key twice
    assert sorted(r.key for r in contacts.scan()) == sorted(keys)
