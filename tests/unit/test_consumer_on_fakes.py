"""The events consumer on in-memory ports only (no moto, no AWS): the seam the use cases talk through.

Events fold into the contact's aggregates; a redelivered batch changes nothing; every changed contact is
announced once per batch as (before, after, new events), and a contact write that fails and is undone is
never announced.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord
from chalicelib.errors import Retryable
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.ports import Ports
from chalicelib.services.consumer import Consumer
from tests.fakes import NOW, FakeContactStore, fake_ports

ROOT = Path(__file__).resolve().parents[2]


def event(event_id: str, type_: str = "Login", external_id: str = "u-1", minutes: int = 0, **props: Any) -> Event:
    at = NOW - timedelta(minutes=minutes)
    return Event(
        eventId=event_id,
        type=type_,
        identity=Identity(externalId=external_id),
        timestamp=at,
        receivedAt=NOW,
        properties=props,
    )


def records(*events: Event) -> list[tuple[str, str]]:
    return [(f"m-{e.eventId}", EventMsg(event=e).body()) for e in events]


def heard(ports: Ports) -> list[ContactChanged]:
    """Every announcement from now on."""
    changes: list[ContactChanged] = []
    ports.changes.subscribe(changes.append)
    return changes


def stored_ids(ports: Ports, key: str) -> list[str]:
    page, _ = ports.events.activity(key, 100)
    return [e.eventId for e in page]


def logins(rec: ContactRecord | None) -> int:
    assert rec is not None
    return sum(rec.aggs["counters"].get("Login", {}).values())


BATCH = (
    event("e1", minutes=30),
    event("e2", minutes=20),
    event("e3", "Product Viewed", minutes=10, product_id="sku-1", price=59),
)


class BrokenContacts(FakeContactStore):
    """While ``broken``, writes of known contacts fail (a throttled table); everything else works."""

    broken = True

    def save(self, rec: ContactRecord, old: ContactRecord | None) -> None:
        if self.broken and rec.key.startswith("x#"):
            raise Retryable("throttled")
        super().save(rec, old)


def test_events_of_a_new_contact_fold_into_its_aggregates() -> None:
    ports = fake_ports()

    assert Consumer(ports).process(records(*BATCH)) == []

    rec = ports.contacts.load("x#u-1")
    assert rec is not None and rec.kind == KIND_CONTACT and rec.version == 1
    assert logins(rec) == 2
    assert [v["productId"] for v in rec.aggs["viewed"]] == ["sku-1"]
    assert rec.aggs["lastSeenAt"] == "2026-11-27T11:50:00.000Z"
    assert stored_ids(ports, "x#u-1") == ["e3", "e2", "e1"]


def test_a_redelivered_batch_changes_nothing() -> None:
    ports = fake_ports()
    Consumer(ports).process(records(*BATCH))
    before = ports.contacts.load("x#u-1")

    assert Consumer(ports).process(records(*BATCH)) == []

    after = ports.contacts.load("x#u-1")
    assert after is not None and before is not None
    assert (after.version, after.aggs) == (before.version, before.aggs)
    assert stored_ids(ports, "x#u-1") == ["e3", "e2", "e1"]


def test_each_changed_contact_is_announced_once_per_batch_with_its_new_events() -> None:
    # GIVEN a subscriber, and a batch of three events for u-1 and one for u-2
    ports = fake_ports()
    changes = heard(ports)
    # WHEN the batch is applied
    Consumer(ports).process(records(*BATCH, event("e4", external_id="u-2")))
    # THEN each contact is announced once, as it was (absent) and as it is, with the events stored for it
    assert sorted(c.key for c in changes) == ["x#u-1", "x#u-2"]
    first = next(c for c in changes if c.key == "x#u-1")
    assert first.before is None
    assert first.after is not None and logins(first.after) == 2 and first.after.version == 1
    assert [e.eventId for e in first.events] == ["e1", "e2", "e3"]


def test_a_later_batch_announces_the_stored_state_before_it_and_only_the_new_events() -> None:
    ports = fake_ports()
    Consumer(ports).process(records(*BATCH))
    changes = heard(ports)

    Consumer(ports).process(records(BATCH[0], event("e5", minutes=5)))  # e1 again, and a new login

    assert len(changes) == 1
    (change,) = changes
    assert change.before is not None and change.before.version == 1 and logins(change.before) == 2
    assert change.after is not None and change.after.version == 2 and logins(change.after) == 3
    assert [e.eventId for e in change.events] == ["e5"]


def test_a_redelivered_batch_is_never_announced() -> None:
    ports = fake_ports()
    Consumer(ports).process(records(*BATCH))
    changes = heard(ports)

    Consumer(ports).process(records(*BATCH))

    assert changes == []


def test_a_failed_contact_write_is_never_announced() -> None:
    # GIVEN a contacts table that throttles every write of known contacts
    ports = fake_ports()
    ports.contacts = BrokenContacts()
    changes = heard(ports)
    # WHEN a batch for u-1 is applied
    failed = Consumer(ports).process(records(*BATCH))
    # THEN its records fail for SQS to retry, and nobody hears about a write that did not happen
    # (the event rows written for it stay: the retry recognises them as never folded)
    assert sorted(failed) == ["m-e1", "m-e2", "m-e3"]
    assert ports.contacts.load("x#u-1") is None
    assert changes == []


def test_the_retry_after_a_failed_write_counts_and_announces_once() -> None:
    # GIVEN a batch whose contact write failed
    ports = fake_ports()
    ports.contacts = contacts = BrokenContacts()
    changes = heard(ports)
    Consumer(ports).process(records(*BATCH))
    # WHEN SQS redelivers it to a working table
    contacts.broken = False
    assert Consumer(ports).process(records(*BATCH)) == []
    # THEN every event counts once and the contact is announced once, with all of them

    assert logins(ports.contacts.load("x#u-1")) == 2
    assert len(changes) == 1 and [e.eventId for e in changes[0].events] == ["e1", "e2", "e3"]


def test_the_consumer_on_fakes_loads_no_aws_library() -> None:
    code = (
        "import sys, tests.fakes, chalicelib.services.consumer; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'moto', 'chalice'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
