"""Events: edge validation, queue, idempotent consumer, activity, partial failures, DLQ."""

import json
from datetime import timedelta

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
    _, body = send(api, {"type": "A", "externalId": "u", "properties": {"blob": "x" * 21000}})
    assert body["rejected"][0]["errors"][0]["message"] == "is larger than 20 KB"


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
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["bad-json", "poison"]
    assert card(api)["aggregates"]["eventCounts"]["A"]["last1d"] == 1


def test_poison_records_reach_the_dlq_after_bounded_receives(api):
    from app import consume_events

    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName="orbit-test-events")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="orbit-test-events-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    receives = 0
    while True:
        out = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MaxNumberOfMessages=1)
        if not out.get("Messages"):
            break
        message = out["Messages"][0]
        receives += 1
        result = consume_events({"Records": [sqs_record(message["Body"], message["MessageId"])]}, None)
        assert result["batchItemFailures"]
    assert receives == 5
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "poison"
