"""A failed contact write undoes what was written for it, so the retry counts everything once."""

import contextlib

from chalicelib.errors import Retryable
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg, OrderMsg
from chalicelib.services.consumer import Consumer
from chalicelib.storage.contacts import DynamoContactStore
from tests.conftest import NOW


class FlakyContacts(DynamoContactStore):
    """The real store, except the first ``failures`` saves of known contacts are throttled."""

    def __init__(self, inner: DynamoContactStore, failures: int) -> None:
        super().__init__(inner.table)
        self.failures = failures

    def save(self, rec, old):
        if rec.key.startswith("x#") and self.failures:
            self.failures -= 1
            raise Retryable("throttled")
        super().save(rec, old)


def records():
    event = Event(eventId="e1", type="Login", identity=Identity(externalId="u-1"), timestamp=NOW, receivedAt=NOW)
    order = {
        "externalOrderId": "o1",
        "externalId": "u-1",
        "status": "DELIVERED",
        "date": NOW.isoformat(),
        "totalCost": "25.00",
        "currency": "USD",
    }
    return [
        ("m1", EventMsg(event=event).body()),
        ("m2", OrderMsg(order=order, receivedAt=NOW.isoformat()).body()),
    ]


def test_a_throttled_contact_write_fails_its_records_and_the_retry_counts_once(stores):
    stores.contacts = FlakyContacts(stores.contacts, failures=1)
    assert sorted(Consumer(stores).process(records())) == ["m1", "m2"]
    assert Consumer(stores).process(records()) == []
    aggs = stores.contacts.load("x#u-1").aggs
    assert aggs["orders"]["count"] == 1 and aggs["orders"]["revenue"] == {"USD": "25.00"}
    assert sum(aggs["counters"]["Login"].values()) == 1


def test_a_third_delivery_after_success_changes_nothing(stores):
    Consumer(stores).process(records())
    before = stores.contacts.load("x#u-1")
    Consumer(stores).process(records())
    after = stores.contacts.load("x#u-1")
    assert after.aggs == before.aggs and after.version == before.version


class Crash(BaseException):
    """The process died (a Lambda killed mid-batch never reports back)."""


class DyingContacts(DynamoContactStore):
    """The real store, except the process dies right before the first save of a known contact."""

    def __init__(self, inner: DynamoContactStore) -> None:
        super().__init__(inner.table)
        self.armed = True

    def save(self, rec, old):
        if rec.key.startswith("x#") and self.armed:
            self.armed = False
            raise Crash
        super().save(rec, old)


def test_a_crash_between_the_rows_and_the_contact_write_is_rolled_forward_on_dynamodb(stores):
    # GIVEN a consumer that dies after storing the event rows and the order, before the contact write
    stores.contacts = DyingContacts(stores.contacts)
    with contextlib.suppress(Crash):
        Consumer(stores).process(records())
    assert stores.contacts.load("x#u-1") is None
    # WHEN SQS redelivers the batch
    assert Consumer(stores).process(records(), retried={"m1", "m2"}) == []
    # THEN the leftover rows and order version are folded, once
    aggs = stores.contacts.load("x#u-1").aggs
    assert aggs["orders"]["count"] == 1 and aggs["orders"]["revenue"] == {"USD": "25.00"}
    assert sum(aggs["counters"]["Login"].values()) == 1
    assert Consumer(stores).process(records(), retried={"m1", "m2"}) == []
    assert stores.contacts.load("x#u-1").aggs == aggs
