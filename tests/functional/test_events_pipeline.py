"""Events: edge validation, queue, idempotent consumer, activity, partial failures, DLQ."""

import json
from datetime import timedelta, timezone

from chalicelib import aws
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg, dump
from tests.conftest import NOW, sqs_record


def send(api, *events):
    return api.json("POST", "/v1/events", {"events": list(events)})


def card(api, external_id="u-1"):
    return api.json("GET", f"/v1/contacts/{external_id}")[1]


def test_good_events_are_accepted_and_bad_ones_rejected_by_index(api):
    status, body = send(api, {"type": "A", "externalId": "u"}, {"type": "B"}, {"type": "C", "email": "bad"})
    assert status == 202
    assert body["accepted"] == 1
    assert [(r["index"], r["errors"][0]["path"]) for r in body["rejected"]] == [
        (1, "events[1]"),
        (2, "events[2].email"),
    ]


def test_more_than_500_events_is_a_400(api):
    status, body = send(api, *[{"type": "A", "externalId": "u"}] * 501)
    assert status == 400 and body["error"]["details"][0]["path"] == "events"


def test_an_event_over_20kb_is_rejected(api):
    status, body = send(api, {"type": "A", "externalId": "u", "properties": {"blob": "x" * 21000}})
    assert status == 400  # nothing was accepted
    assert body["error"]["details"] == [{"path": "events[0]", "message": "is larger than 20 KB"}]


def test_far_future_events_are_rejected_and_past_events_accepted(api):
    future = (NOW + timedelta(days=3)).isoformat()
    past = (NOW - timedelta(days=30)).isoformat()
    _, body = send(
        api, {"type": "A", "externalId": "u", "timestamp": future}, {"type": "A", "externalId": "u", "timestamp": past}
    )
    assert body["accepted"] == 1 and body["rejected"][0]["errors"][0]["path"] == "events[0].timestamp"


def test_events_create_the_contact_and_count_per_type(api):
    send(api, {"type": "Login", "externalId": "u-1"}, {"type": "Login", "externalId": "u-1"})
    api.drain()
    assert card(api)["aggregates"]["eventCounts"]["Login"]["last1d"] == 2


def test_a_resent_event_id_changes_nothing(api):
    event = {"type": "Login", "externalId": "u-1", "eventId": "evt-1"}
    send(api, event)
    api.drain()
    send(api, event)
    api.drain()
    assert card(api)["aggregates"]["eventCounts"]["Login"]["last1d"] == 1


# --- items without eventId: ids derived from their content (chalicelib.services.ingest.event_id) ------------------


def stored_ids(api, external_id):
    _, activity = api.json("GET", f"/v1/contacts/{external_id}/activity?limit=50")
    return [e["eventId"] for e in activity["events"]]


def test_the_same_item_without_event_id_posted_twice_is_stored_once(api, clock):
    item = {"type": "Login", "externalId": "u-1", "properties": {"method": "sso"}}
    send(api, item)
    clock.advance(seconds=40)  # the client timed out and retried
    send(api, item)
    api.drain()
    assert card(api)["aggregates"]["eventCounts"]["Login"]["last1d"] == 1
    [event_id] = stored_ids(api, "u-1")
    assert event_id.startswith("evt-")


def test_a_timestamped_item_is_deduplicated_whenever_it_is_resent(api, clock):
    item = {"type": "Login", "externalId": "u-1", "timestamp": (NOW - timedelta(hours=1)).isoformat()}
    send(api, item)
    clock.advance(hours=6)
    same_instant = {
        **item,
        "timestamp": (NOW - timedelta(hours=1)).astimezone(timezone(timedelta(hours=2))).isoformat(),
    }
    send(api, same_instant)
    api.drain()
    assert len(stored_ids(api, "u-1")) == 1


def test_different_items_without_event_id_are_all_stored(api):
    base = {"type": "Product Viewed", "externalId": "u-1", "properties": {"product_id": "sku-1"}}
    send(
        api,
        base,
        {**base, "type": "Product Added"},
        {**base, "properties": {"product_id": "sku-2"}},
        {**base, "externalId": "u-2"},
        {**base, "timestamp": (NOW - timedelta(minutes=1)).isoformat()},
    )
    api.drain()
    assert len(stored_ids(api, "u-1")) == 4 and len(stored_ids(api, "u-2")) == 1


def test_copies_inside_one_request_are_each_stored_and_a_resend_adds_nothing(api):
    request = [{"type": "Login", "externalId": "u-1"}] * 3
    send(api, *request)
    send(api, *request)
    api.drain()
    assert len(set(stored_ids(api, "u-1"))) == 3


def test_an_untimed_item_received_in_a_later_window_is_a_new_event(api, clock):
    item = {"type": "Login", "externalId": "u-1"}
    send(api, item)
    clock.advance(minutes=5)  # NOW is on a window boundary: this is the next 5-minute window
    send(api, item)
    api.drain()
    assert len(stored_ids(api, "u-1")) == 2


def test_derived_ids_depend_on_type_identity_properties_and_time():
    from chalicelib.events.models import EventIn
    from chalicelib.services.ingest import event_id, window_start

    base = {"type": "A", "externalId": "u-1", "properties": {"a": 1, "b": [1, 2]}}
    at = EventIn.model_validate(base)
    assert event_id(at, NOW) == event_id(EventIn.model_validate({**base, "properties": {"b": [1, 2], "a": 1}}), NOW)
    assert event_id(at, NOW) == event_id(at, NOW + timedelta(minutes=4, seconds=59))
    assert event_id(at, NOW) != event_id(at, NOW + timedelta(minutes=5))
    variants = [
        {**base, "type": "B"},
        {**base, "externalId": "u-2"},
        {**base, "email": "u@example.com"},
        {**base, "properties": {"a": 2, "b": [1, 2]}},
        {**base, "timestamp": NOW.isoformat()},
        {**base, "timestamp": (NOW + timedelta(seconds=1)).isoformat()},
    ]
    ids = {event_id(at, NOW), *(event_id(EventIn.model_validate(v), NOW) for v in variants)}
    assert len(ids) == len(variants) + 1
    given = EventIn.model_validate({**base, "eventId": "mine"})
    assert event_id(given, NOW) == "mine"
    assert window_start(NOW + timedelta(minutes=7, seconds=3)) == NOW + timedelta(minutes=5)


def test_segment_calls_and_events_share_one_id_derivation():
    from chalicelib.events.models import content_id
    from chalicelib.tracking.mapping import message_id

    call = {"type": "track", "event": "X", "userId": "u", "sentAt": "2026-01-01T00:00:00Z", "writeKey": "k"}
    assert message_id(call) == content_id("seg-", {"type": "track", "event": "X", "userId": "u"})


def test_a_redelivered_message_changes_nothing(api):
    from app import consume_events

    body = json.dumps(
        dump(
            EventMsg(
                event=Event(
                    eventId="e1", type="Login", identity=Identity(externalId="u-1"), timestamp=NOW, receivedAt=NOW
                )
            )
        )
    )
    for _ in range(3):
        assert consume_events({"Records": [sqs_record(body)]}, None) == {"batchItemFailures": []}
    assert card(api)["aggregates"]["eventCounts"]["Login"]["last1d"] == 1


def test_activity_is_newest_first_and_paginated(api):
    events = [
        {"type": f"T{i}", "externalId": "u-1", "timestamp": (NOW - timedelta(minutes=i)).isoformat()} for i in range(5)
    ]
    send(api, *events)
    api.drain()
    _, first = api.json("GET", "/v1/contacts/u-1/activity?limit=3")
    _, second = api.json("GET", f"/v1/contacts/u-1/activity?limit=3&cursor={first['nextCursor']}")
    assert [e["type"] for e in first["events"] + second["events"]] == ["T0", "T1", "T2", "T3", "T4"]


def test_a_bad_cursor_is_a_400(api):
    api.json("PUT", "/v1/contacts/u-1", {})
    assert api.json("GET", "/v1/contacts/u-1/activity?cursor=nope")[0] == 400


def test_events_by_email_land_on_the_known_contact(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com"})
    send(api, {"type": "Opened", "email": "A@example.com"})
    api.drain()
    assert "Opened" in card(api)["aggregates"]["eventCounts"]


def test_events_for_an_unknown_email_join_the_contact_created_later(api):
    send(api, {"type": "Opened", "email": "new@example.com"})
    api.drain()
    api.json("PUT", "/v1/contacts/u-9", {"email": "new@example.com"})
    api.drain()
    _, activity = api.json("GET", "/v1/contacts/u-9/activity")
    assert [e["type"] for e in activity["events"]] == ["Opened"]


def test_one_poison_record_does_not_fail_its_neighbours(api):
    from app import consume_events

    good = json.dumps(
        {
            "kind": "event",
            "event": {
                "eventId": "g",
                "type": "A",
                "identity": {"externalId": "u-1"},
                "timestamp": NOW.isoformat(),
                "receivedAt": NOW.isoformat(),
            },
        }
    )
    poison = sqs_record('{"kind": "event", "event": {"nope": 1}}', "poison")
    result = consume_events({"Records": [sqs_record(good), poison, sqs_record("not json", "bad-json")]}, None)
    assert result["batchItemFailures"] == []  # parked, not retried
    assert card(api)["aggregates"]["eventCounts"]["A"]["last1d"] == 1


def dead_letters(queue: str = "orbit-test-events-dlq") -> list[dict]:
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def test_a_poison_record_goes_to_the_dead_letter_queue_at_once_with_its_reason(api):
    from app import consume_events

    result = consume_events({"Records": [sqs_record("not json", "bad-json")]}, None)

    assert result["batchItemFailures"] == []
    (parked,) = dead_letters()
    assert parked["Body"] == "not json"
    assert parked["MessageAttributes"]["reason"]["StringValue"].startswith("cannot be parsed")


def test_a_message_of_another_stream_is_parked_with_its_reason(api):
    from app import consume_events
    from chalicelib.messages import ImportMsg

    body = ImportMsg(importId="i-1", chunk=0, rows=[]).body()
    assert consume_events({"Records": [sqs_record(body, "misrouted")]}, None)["batchItemFailures"] == []
    (parked,) = dead_letters()
    assert "imports stream" in parked["MessageAttributes"]["reason"]["StringValue"]


def test_a_request_of_300_events_travels_in_three_queue_messages_and_every_event_counts(api):
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName="orbit-test-events")["QueueUrl"]
    events = [{"type": "Login", "externalId": f"u-{n % 7}", "eventId": f"p-{n}"} for n in range(300)]
    assert api.json("POST", "/v1/events", {"events": events})[0] == 202
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == "3"
    api.drain()
    totals = [api.json("GET", f"/v1/contacts/u-{n}")[1] for n in range(7)]
    assert sum(t["aggregates"]["eventCounts"]["Login"]["last1d"] for t in totals) == 300
