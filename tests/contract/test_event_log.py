"""EventLog: each contact's events at most once per event id and time, the activity feed newest first with
cursors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.events.models import Event, Identity
from chalicelib.ports import EventLog

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(event_id: str, minutes: float = 0, type_: str = "Login", **properties: Any) -> Event:
    at = T0 + timedelta(minutes=minutes)
    return Event(
        eventId=event_id,
        type=type_,
        identity=Identity(externalId="u-1"),
        timestamp=at,
        receivedAt=T0,
        properties=properties,
    )


def ids(events: list[Event]) -> list[str]:
    return [e.eventId for e in events]


def everything(log: EventLog, key: str, limit: int) -> list[str]:
    """Every event id of ``key``, page by page, following the cursors."""
    seen: list[str] = []
    page, cursor = log.activity(key, limit)
    seen += ids(page)
    for _ in range(50):
        if cursor is None:
            return seen
        page, cursor = log.activity(key, limit, cursor)
        seen += ids(page)
    raise AssertionError("the cursors never ended")


def test_an_event_is_stored_once_per_event_id_and_time(events: EventLog) -> None:
    # GIVEN a stored event
    assert events.insert("x#u-1", event("e1", type_="Login")) is None
    # WHEN an event with the same id and time arrives again (even with other content)
    again = events.insert("x#u-1", event("e1", type_="Logout"))
    # THEN the first copy is the only one, and the insert hands it back
    assert again is not None and (again.type, again.receivedAt) == ("Login", T0)
    page, _ = events.activity("x#u-1", 10)
    assert [(e.eventId, e.type) for e in page] == [("e1", "Login")]


def test_the_same_event_id_is_stored_for_each_contact(events: EventLog) -> None:
    assert events.insert("x#u-1", event("e1")) is None
    assert events.insert("x#u-2", event("e1")) is None

    assert ids(events.activity("x#u-2", 10)[0]) == ["e1"]


def test_an_event_reads_back_as_written(events: EventLog) -> None:
    written = Event(
        eventId="e1",
        type="Product Viewed",
        identity=Identity(externalId="u-1", email="ann@example.com", anonymousId="anon-1"),
        timestamp=datetime(2026, 11, 20, 8, 30, 15, 250000, tzinfo=UTC),
        receivedAt=T0,
        properties={"product_id": "sku-1", "price": 59.5, "tags": ["a"], "nested": {"n": 1, "none": None}},
        context={"page": {"url": "https://shop.example/p/1"}},
        source="web",
    )
    events.insert("x#u-1", written)

    page, _ = events.activity("x#u-1", 10)

    assert page == [written]


def test_activity_is_newest_first_by_event_time_not_arrival(events: EventLog) -> None:
    for event_id, minutes in (("b", 5), ("a", 10), ("c", -60), ("d", 1)):
        events.insert("x#u-1", event(event_id, minutes))

    page, cursor = events.activity("x#u-1", 10)

    assert ids(page) == ["a", "b", "d", "c"]
    assert cursor is None


def test_events_at_the_same_time_are_ordered_by_event_id_descending(events: EventLog) -> None:
    for event_id in ("e2", "e3", "e1"):
        events.insert("x#u-1", event(event_id, 0))

    assert ids(events.activity("x#u-1", 10)[0]) == ["e3", "e2", "e1"]


def test_following_the_cursors_pages_through_every_event_once_newest_first(events: EventLog) -> None:
    for n in range(7):
        events.insert("x#u-1", event(f"e{n}", n))

    first, cursor = events.activity("x#u-1", 3)

    assert ids(first) == ["e6", "e5", "e4"] and cursor is not None
    assert everything(events, "x#u-1", 3) == [f"e{n}" for n in range(6, -1, -1)]


def test_a_page_short_of_the_limit_is_the_last_one(events: EventLog) -> None:
    for n in range(3):
        events.insert("x#u-1", event(f"e{n}", n))

    _first, cursor = events.activity("x#u-1", 2)
    assert cursor is not None
    last, end = events.activity("x#u-1", 2, cursor)

    assert ids(last) == ["e0"] and end is None


def test_a_contact_without_events_has_an_empty_feed(events: EventLog) -> None:
    assert events.activity("x#nobody", 10) == ([], None)


def test_a_cursor_of_another_contact_is_invalid_input(events: EventLog) -> None:
    for n in range(3):
        events.insert("x#u-1", event(f"e{n}", n))
        events.insert("x#u-2", event(f"e{n}", n))
    _, cursor = events.activity("x#u-1", 1)
    assert cursor is not None

    with pytest.raises(InvalidInput):
        events.activity("x#u-2", 1, cursor)


def test_a_cursor_not_from_the_log_is_invalid_input(events: EventLog) -> None:
    events.insert("x#u-1", event("e1"))
    forged = base64.urlsafe_b64encode(b'{"pk": "x#u-1"}').decode()

    for garbage in ("not a cursor", "!!!", forged, json.dumps(["x#u-1"])):
        with pytest.raises(InvalidInput):
            events.activity("x#u-1", 10, garbage)


def test_an_event_resent_with_another_time_is_a_new_row(events: EventLog) -> None:
    # (the consumer's folded-events record catches such resends within its window)
    assert events.insert("x#u-1", event("e1", 0)) is None
    assert events.insert("x#u-1", event("e1", 5)) is None
    assert ids(events.activity("x#u-1", 10)[0]) == ["e1", "e1"]


def test_move_all_moves_every_event_once(events: EventLog) -> None:
    # GIVEN an anonymous profile's events and a contact's own
    for n in range(3):
        events.insert("a#anon-1", event(f"anon-{n}", n * 2))
    events.insert("x#u-1", event("own", 1))
    # WHEN they move to the contact, twice (a retried merge)
    assert events.move_all("a#anon-1", "x#u-1") == 3
    assert events.move_all("a#anon-1", "x#u-1") == 0
    # THEN the contact has them all in time order and the profile none
    assert ids(events.activity("x#u-1", 10)[0]) == ["anon-2", "anon-1", "own", "anon-0"]
    assert events.activity("a#anon-1", 10) == ([], None)
    assert events.insert("x#u-1", event("anon-1", 2)) is not None  # still deduped under the new owner


def test_delete_all_removes_a_contacts_events_and_counts_them(events: EventLog) -> None:
    for n in range(4):
        events.insert("x#u-1", event(f"e{n}", n))
    events.insert("x#u-2", event("e0"))

    assert events.delete_all("x#u-1") == 4
    assert events.delete_all("x#u-1") == 0
    assert events.activity("x#u-1", 10) == ([], None)
    assert ids(events.activity("x#u-2", 10)[0]) == ["e0"]


def test_since_reads_a_contacts_events_from_a_moment_on_oldest_first(events: EventLog) -> None:
    # GIVEN events before, at and after a moment, two in one millisecond, and another contact's
    for event_id, minutes in (("late", 30), ("before", -1), ("at", 0), ("b-same", 10), ("a-same", 10)):
        events.insert("x#u-1", event(event_id, minutes))
    events.insert("x#u-2", event("other", 5))
    # WHEN asked for everything from the moment on
    found = events.since("x#u-1", T0)
    # THEN the events at or after it come, oldest first (then by id)
    assert ids(list(found)) == ["at", "a-same", "b-same", "late"]
    assert ids(list(events.since("x#u-1", T0 + timedelta(minutes=31)))) == []
    assert ids(list(events.since("x#nobody", T0))) == []


def test_since_compares_within_the_millisecond(events: EventLog) -> None:
    events.insert("x#u-1", event("on-the-ms", 0))
    events.insert("x#u-1", event("next-ms", 0.001 / 60))

    half_past = T0 + timedelta(microseconds=500)

    assert ids(list(events.since("x#u-1", half_past))) == ["next-ms"]
    assert ids(list(events.since("x#u-1", T0))) == ["on-the-ms", "next-ms"]


def test_since_reads_every_event_of_a_long_history(events: EventLog) -> None:
    big = "x" * 3000  # ~3 KB a row: 400 rows take more than one 1 MB Query page
    for n in range(400):
        events.insert("x#u-1", event(f"e{n:03d}", n, note=big))

    found = events.since("x#u-1", T0 + timedelta(minutes=50))

    assert ids(list(found)) == [f"e{n:03d}" for n in range(50, 400)]
