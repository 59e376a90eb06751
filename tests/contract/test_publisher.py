"""Publisher: what is published on a stream comes back parsed equal, in order; imports on the imports stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg, ImportMsg, ImportRow, MergeMsg, OrderMsg, QueueMessage
from tests.contract.queues import Queues

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event_msg(n: int) -> EventMsg:
    event = Event(
        eventId=f"e{n}",
        type="Product Viewed",
        identity=Identity(externalId=f"u-{n % 3}", anonymousId="anon-1"),
        timestamp=T0 + timedelta(seconds=n),
        receivedAt=T0,
        properties={"product_id": f"sku-{n}", "price": 59.5, "tags": ["new"]},
        context={"page": {"url": "https://shop.example/p"}},
        source="web",
    )
    return EventMsg(event=event)


def import_msg(chunk: int) -> ImportMsg:
    rows = [
        ImportRow(index=chunk * 2 + i, externalId=f"u-{i}", contact={"email": f"u{i}@example.com"}) for i in range(2)
    ]
    return ImportMsg(importId="imp-1", chunk=chunk, rows=rows)


def test_events_come_back_parsed_equal_and_in_order(queues: Queues) -> None:
    sent: list[QueueMessage] = [event_msg(n) for n in range(13)]  # more than one SQS batch

    queues.publisher.publish(sent)

    assert queues.receive("events") == sent


def test_every_events_stream_kind_travels_intact(queues: Queues) -> None:
    order = {"externalOrderId": "o-1", "externalId": "u-1", "status": "DELIVERED", "totalCost": "25.00"}
    sent: list[QueueMessage] = [
        OrderMsg(order=order, receivedAt=T0.isoformat()),
        MergeMsg(into="x#u-1", sources=["e#ann@example.com", "a#anon-1"]),
        event_msg(1),
    ]

    queues.publisher.publish(sent)

    assert queues.receive("events") == sent


def test_imports_travel_on_the_imports_stream_only(queues: Queues) -> None:
    # WHEN a batch mixes import chunks and events
    queues.publisher.publish([import_msg(0), event_msg(1), import_msg(1), event_msg(2)])
    # THEN each stream carries its own kind, in the order published
    assert queues.receive("imports") == [import_msg(0), import_msg(1)]
    assert queues.receive("events") == [event_msg(1), event_msg(2)]


def test_publishing_nothing_queues_nothing(queues: Queues) -> None:
    queues.publisher.publish([])

    assert queues.receive("events") == [] and queues.receive("imports") == []
