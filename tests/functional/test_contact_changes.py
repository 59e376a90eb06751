"""The one announcement of a changed contact, (before, after, new events), on the moto-backed ports:
once per changed contact, never for a redelivered duplicate, never for a failed write."""

from __future__ import annotations

from chalicelib.contacts.changes import ContactChanged
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.services.consumer import Consumer
from tests.conftest import NOW
from tests.functional.test_consumer_retries import FlakyContacts, records


def heard(stores) -> list[ContactChanged]:
    changes: list[ContactChanged] = []
    stores.changes.subscribe(changes.append)
    return changes


def event(event_id: str, external_id: str) -> tuple[str, str]:
    body = EventMsg(
        event=Event(
            eventId=event_id, type="Login", identity=Identity(externalId=external_id), timestamp=NOW, receivedAt=NOW
        )
    ).body()
    return f"m-{event_id}", body


def test_each_changed_contact_is_announced_once_per_batch_with_its_new_events(stores):
    changes = heard(stores)
    Consumer(stores).process([event("e1", "u-1"), event("e2", "u-1"), event("e3", "u-2")])
    by_key = {c.key: c for c in changes}
    assert len(changes) == 2 and set(by_key) == {"x#u-1", "x#u-2"}
    assert [e.eventId for e in by_key["x#u-1"].events] == ["e1", "e2"]
    assert by_key["x#u-1"].before is None and by_key["x#u-1"].after.aggs["counters"]


def test_a_redelivered_batch_is_not_announced(stores):
    batch = [event("e1", "u-1")]
    Consumer(stores).process(batch)
    changes = heard(stores)
    assert Consumer(stores).process(batch) == []
    assert changes == []


def test_a_failed_write_is_not_announced_and_its_retry_is_announced_once(stores):
    stores.contacts = FlakyContacts(stores.contacts, failures=1)
    changes = heard(stores)
    assert sorted(Consumer(stores).process(records())) == ["m1", "m2"]
    assert changes == []
    assert Consumer(stores).process(records()) == []
    assert len(changes) == 1
    assert sorted(e.type for e in changes[0].events) == ["Login", "orderDELIVERED"]


def test_before_is_the_stored_contact_the_write_replaced(stores):
    Consumer(stores).process([event("e1", "u-1")])
    changes = heard(stores)
    Consumer(stores).process([event("e2", "u-1")])
    (change,) = changes
    assert change.before is not None and change.before.version == 1 and change.after.version == 2


def test_a_failing_listener_does_not_fail_the_batch_or_silence_the_others(stores):
    def broken(change: ContactChanged) -> None:
        raise RuntimeError("listener bug")

    stores.changes.subscribe(broken)
    changes = heard(stores)
    assert Consumer(stores).process([event("e1", "u-1")]) == []
    assert len(changes) == 1


def test_an_api_upsert_and_a_deletion_are_announced(api):
    changes = heard(api.stores)
    api.json("PUT", "/v1/contacts/u-9", {"firstName": "Ann"})
    api.json("DELETE", "/v1/contacts/u-9")
    created, deleted = changes
    assert created.before is None and created.after.profile["firstName"] == "Ann"
    assert deleted.after is None and deleted.before.key == "x#u-9"
