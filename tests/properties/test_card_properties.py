"""The card is right whatever order, time zone, batching and repetition the data arrives in: after each
generated sequence, the card equals a from-scratch computation over what should count (the reference in
``tests/properties/reference.py``, which the segments issue reuses).

Everything runs on the in-memory ports (``tests/fakes``): the real ingestion edge and the real consumer,
without AWS, so hypothesis can try many sequences.
"""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput
from chalicelib.identity.commands import IdentifyCommand
from chalicelib.services.consumer import Consumer
from chalicelib.services.contacts import card, upsert
from chalicelib.services.ingest import accept_events, accept_orders, accept_tracked
from chalicelib.services.lifecycle import delete
from tests.fakes import NOW, fake_ports
from tests.properties.reference import Order, expected_events, expected_orders

TYPES = ("Login", "Product Viewed", "Page Viewed", "Cart Updated")
OFFSETS = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((0, 0), (5, 0), (-7, 0), (5, 30), (-3, 30), (14, 0))]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def an_event(draw: Any) -> dict[str, Any]:
    """A server-side event of u-1, or of the anonymous visitor who later signs in as u-1; its time is up to
    30 days ago or up to 10 minutes ahead (a fast clock: past the 5-minute allowance it is rejected)."""
    minutes = draw(st.integers(min_value=-10, max_value=60 * 24 * 30))
    offset = draw(st.sampled_from(OFFSETS))
    at = (NOW - timedelta(minutes=minutes)).astimezone(offset)
    who = {"externalId": "u-1"} if draw(st.booleans()) else {"anonymousId": "anon-1"}
    return {"type": draw(st.sampled_from(TYPES)), **who, "timestamp": at.isoformat()}


def deliver(ports: Any, rng: random.Random, redeliver: bool) -> None:
    """Everything queued, in random batches, in random order; maybe one batch twice (SQS at least once)."""
    records = ports.publisher.drain_records("events")
    rng.shuffle(records)
    batches: list[list[tuple[str, str]]] = []
    while records:
        size = rng.randint(1, 5)
        batches.append(records[:size])
        records = records[size:]
    if redeliver and batches:
        batches.insert(rng.randrange(len(batches) + 1), rng.choice(batches))
    for batch in batches:
        assert Consumer(ports).process(batch) == []


def distinct_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each generated event its own id (a resend repeats one exactly)."""
    return [{**e, "eventId": f"e{n}"} for n, e in enumerate(events)]


def sign_in(ports: Any) -> None:
    """The anonymous visitor identifies as u-1 (a Segment identify with both ids)."""
    command = IdentifyCommand(messageId="sign-in", externalId="u-1", anonymousId="anon-1", timestamp=NOW)
    accept_tracked(ports, [command])


@SETTINGS
@given(
    events=st.lists(an_event(), min_size=1, max_size=30).map(distinct_ids),
    seed=st.integers(min_value=0, max_value=2**16),
    resend=st.booleans(),
    redeliver=st.booleans(),
    sign_in_at=st.integers(min_value=0, max_value=30),
)
def test_event_counts_and_seen_times_match_the_reference(
    events: list[dict[str, Any]], seed: int, resend: bool, redeliver: bool, sign_in_at: int
) -> None:
    rng = random.Random(seed)
    ports = fake_ports()
    sent = list(events)
    if resend:  # a client retrying a request it thinks failed
        sent += rng.sample(events, k=max(1, len(events) // 2))
    requests = [sent[start : start + 7] for start in range(0, len(sent), 7)]
    for n, request in enumerate(requests):
        if n == min(sign_in_at, len(requests) - 1):
            sign_in(ports)  # somewhere in the stream: before, between or after the visitor's events
        with contextlib.suppress(InvalidInput):  # a request whose every event is too far ahead: a 400
            accept_events(ports, request)
    deliver(ports, rng, redeliver)

    rec = ports.contacts.load(keys.known("u-1"))
    want = expected_events(events, NOW)
    if not want.daily_counts:  # every event was too far ahead: rejected
        return
    assert rec is not None
    shown = card(ports, rec).aggregates
    assert shown["dailyEventCounts"] == want.daily_counts
    assert shown["firstSeenAt"] == iso(want.first_seen) and shown["lastSeenAt"] == iso(want.last_seen)


@SETTINGS
@given(
    events=st.lists(an_event(), min_size=1, max_size=15).map(distinct_ids),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_an_erased_contact_never_comes_back_from_resent_data_and_a_put_starts_it_empty(
    events: list[dict[str, Any]], seed: int
) -> None:
    rng = random.Random(seed)
    ports = fake_ports()
    known = [e for e in events if "externalId" in e]
    with contextlib.suppress(InvalidInput):
        accept_events(ports, known)
    deliver(ports, rng, redeliver=False)
    if ports.contacts.load(keys.known("u-1")) is None:
        return  # nothing of u-1 was accepted
    delete(ports, "u-1", erase=True)
    # WHEN a source resends any of it, in any order, again and again
    resent = rng.sample(known, k=len(known)) + rng.sample(known, k=len(known) // 2)
    with contextlib.suppress(InvalidInput):
        accept_events(ports, resent)
    deliver(ports, rng, redeliver=True)
    # THEN the person stays erased: no contact, no activity
    assert ports.contacts.load(keys.known("u-1")) is None
    assert ports.events.activity(keys.known("u-1"), 100)[0] == []
    # and an explicit PUT brings them back empty
    rec, created = upsert(ports, "u-1", ContactIn(), explicit=True)
    assert created and card(ports, rec).aggregates["eventCounts"] == {}


STATUSES = ("INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED")


@st.composite
def an_order_message(draw: Any) -> Order:
    return Order(
        order_id=f"o{draw(st.integers(min_value=0, max_value=4))}",
        status=draw(st.sampled_from(STATUSES)),
        minutes_ago=draw(st.integers(min_value=0, max_value=60 * 24 * 60)),
        total=draw(st.sampled_from(("10.00", "25.50", "99.99"))),
        currency=draw(st.sampled_from(("USD", "EUR"))),
    )


@SETTINGS
@given(
    messages=st.lists(an_order_message(), min_size=1, max_size=20, unique_by=lambda m: (m.order_id, m.minutes_ago)),
    seed=st.integers(min_value=0, max_value=2**16),
    redeliver=st.booleans(),
)
def test_order_aggregates_match_the_reference(messages: list[Order], seed: int, redeliver: bool) -> None:
    rng = random.Random(seed)
    ports = fake_ports()
    arrival = list(messages)
    rng.shuffle(arrival)
    for message in arrival:  # one message at a time, in arrival order, as clients send status updates
        accept_orders(ports, [message.body(NOW)])  # always valid: never a 400
        deliver(ports, rng, redeliver)

    rec = ports.contacts.load(keys.known("u-1"))
    assert rec is not None
    shown = card(ports, rec).aggregates
    want = expected_orders(messages, NOW)
    assert shown["orderCount"] == want.count
    assert shown["revenue"] == want.revenue
    assert shown["averageOrderValue"] == want.average
    assert shown["firstOrderAt"] == want.first_at and shown["lastOrderAt"] == want.last_at
