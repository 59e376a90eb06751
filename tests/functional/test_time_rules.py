"""Time at the edge (docs/tracking.md, Time): UTC days, naive = UTC, the oldest accepted time, the future
allowance per entry point, and stored rows that can never break a read. The clock is 2026-11-27T12:00Z."""

import json
import logging
from datetime import timedelta

import pytest

from chalicelib import aws
from chalicelib.contacts import keys
from chalicelib.settings import settings_from_env
from tests.conftest import NOW, SITE_KEY, SITE_ORIGIN

OFFSET_TIME = "2026-11-27T02:00+05:00"  # 2026-11-26T21:00Z: the local day is the 27th, the UTC day the 26th


def send(api, *events):
    return api.json("POST", "/v1/events", {"events": list(events)})


def track(api, path, body):
    response = api.client.http.request(
        "POST",
        path,
        body=json.dumps({"writeKey": SITE_KEY, **body}),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": SITE_ORIGIN},
    )
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def aggregates(api, external_id="u-1"):
    return api.json("GET", f"/v1/contacts/{external_id}")[1]["aggregates"]


def activity(api, external_id="u-1"):
    status, body = api.json("GET", f"/v1/contacts/{external_id}/activity")
    assert status == 200, body
    return body["events"]


# --- offsets and naive times ------------------------------------------------------------------------------


def test_an_offset_time_on_v1_events_counts_on_its_utc_day(api):
    send(api, {"type": "Login", "externalId": "u-1", "timestamp": OFFSET_TIME})
    api.drain()
    assert aggregates(api)["dailyEventCounts"]["Login"] == {"20261126": 1}


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/v1/track", {"type": "track", "event": "Login", "userId": "u-1", "timestamp": OFFSET_TIME}),
        ("/v1/page", {"type": "page", "userId": "u-1", "timestamp": OFFSET_TIME}),
        ("/v1/batch", {"batch": [{"type": "track", "event": "Login", "userId": "u-1", "timestamp": OFFSET_TIME}]}),
    ],
)
def test_an_offset_time_on_the_tracking_api_counts_on_its_utc_day(api, path, call):
    track(api, path, call)
    api.drain()
    [(_, days)] = aggregates(api)["dailyEventCounts"].items()
    assert days == {"20261126": 1}
    assert activity(api)[0]["timestamp"] == "2026-11-26T21:00:00.000Z"


def test_a_time_without_offset_is_utc(api):
    send(api, {"type": "Login", "externalId": "u-1", "timestamp": "2026-11-26T23:30:00"})
    api.drain()
    assert activity(api)[0]["timestamp"] == "2026-11-26T23:30:00.000Z"


# --- the oldest accepted time -----------------------------------------------------------------------------


def test_v1_events_rejects_a_time_before_2000_naming_the_field(api):
    _, body = send(
        api,
        {"type": "Login", "externalId": "u-1", "timestamp": "0999-11-27T02:00+05:00"},
        {"type": "Login", "externalId": "u-1", "timestamp": "1999-12-31T23:59:59Z"},
        {"type": "Login", "externalId": "u-1", "timestamp": "2000-01-01T00:00:00Z"},
    )
    assert body["accepted"] == 1
    assert [r["errors"] for r in body["rejected"]] == [
        [{"path": "events[0].timestamp", "message": "must be 2000-01-01 (UTC) or later"}],
        [{"path": "events[1].timestamp", "message": "must be 2000-01-01 (UTC) or later"}],
    ]


def test_a_batch_rejects_a_call_dated_before_2000_and_keeps_the_others(api):
    body = track(
        api,
        "/v1/batch",
        {
            "batch": [
                {"type": "track", "event": "Login", "userId": "u-1", "timestamp": "0999-11-27T02:00+05:00"},
                {"type": "track", "event": "Login", "userId": "u-1", "timestamp": "2026-11-27T11:00:00Z"},
            ]
        },
    )
    assert body["accepted"] == 1
    assert body["rejected"] == [
        {"index": 0, "errors": [{"path": "timestamp", "message": "must be 2000-01-01 (UTC) or later"}]}
    ]
    api.drain()
    seen = aggregates(api)
    assert (seen["firstSeenAt"], seen["lastSeenAt"]) == ("2026-11-27T11:00:00.000Z",) * 2


# --- stored rows never break a read -----------------------------------------------------------------------


def put_row(api, sk, **fields):
    row = {
        "pk": {"S": keys.known("u-1")},
        "sk": {"S": sk},
        "t": {"S": "Login"},
        "src": {"S": "api"},
        "rcv": {"S": "2026-11-27T11:00:00.000Z"},
        **{k: {"S": v} for k, v in fields.items()},
    }
    aws.dynamodb().put_item(TableName=api.stores.settings.events_table, Item=row)


def test_the_activity_answers_around_a_corrupt_stored_row_and_warns(api, caplog):
    send(api, {"type": "Login", "externalId": "u-1", "eventId": "good", "timestamp": "2026-11-27T10:00:00Z"})
    api.drain()
    put_row(api, "999-11-26T21:00:00.000Z#corrupt-time")  # what an unbounded year 999 was stored as
    put_row(api, "2026-11-27T09:00:00.000Z#corrupt-properties", p="{not json")
    with caplog.at_level(logging.WARNING, logger="orbit.events"):
        events = activity(api)
    assert [e["eventId"] for e in events] == ["good"]
    assert {getattr(r, "sk", None) for r in caplog.records if r.getMessage() == "unreadable event row skipped"} == {
        "999-11-26T21:00:00.000Z#corrupt-time",
        "2026-11-27T09:00:00.000Z#corrupt-properties",
    }


def test_a_stored_row_dated_before_2000_is_shown_as_stored_with_a_warning(api, caplog):
    send(api, {"type": "Login", "externalId": "u-1", "eventId": "good", "timestamp": "2026-11-27T10:00:00Z"})
    api.drain()
    put_row(api, "0999-11-26T21:00:00.000Z#ancient")
    with caplog.at_level(logging.WARNING, logger="orbit.events"):
        events = activity(api)
    assert [e["eventId"] for e in events] == ["good", "ancient"]
    assert any(r.getMessage() == "event row older than the oldest accepted time" for r in caplog.records)


# --- the future allowance ---------------------------------------------------------------------------------


def test_the_future_allowance_is_five_minutes_unless_set():
    assert settings_from_env({}).max_future_skew_seconds == 300
    assert settings_from_env({"ORBIT_MAX_FUTURE_SKEW_SECONDS": "60"}).max_future_skew_seconds == 60


def test_v1_events_accepts_a_time_within_the_allowance_as_sent(api):
    ahead = NOW + timedelta(minutes=4)
    _, body = send(api, {"type": "Login", "externalId": "u-1", "timestamp": ahead.isoformat()})
    api.drain()
    assert body["accepted"] == 1
    assert activity(api)[0]["timestamp"] == "2026-11-27T12:04:00.000Z"


def test_v1_events_rejects_a_time_beyond_the_allowance(api):
    ahead = NOW + timedelta(minutes=6)
    status, body = send(api, {"type": "Login", "externalId": "u-1", "timestamp": ahead.isoformat()})
    assert status == 400
    assert body["error"]["details"] == [
        {
            "path": "events[0].timestamp",
            "message": "is more than 300 seconds ahead of the time it was received (2026-11-27T12:00:00.000Z)",
        }
    ]


def test_v1_orders_rejects_a_date_beyond_the_allowance(api):
    order = {
        "externalOrderId": "o-1",
        "externalId": "u-1",
        "status": "DELIVERED",
        "date": (NOW + timedelta(minutes=6)).isoformat(),
        "totalCost": 10,
        "currency": "USD",
    }
    status, body = api.json("POST", "/v1/orders", {"orders": [order]})
    assert status == 400 and body["error"]["details"][0]["path"] == "orders[0].date"


def test_a_tracking_call_beyond_the_allowance_is_dated_its_receive_time_and_keeps_the_claimed_time(api):
    tomorrow = NOW + timedelta(hours=20)
    track(api, "/v1/track", {"type": "track", "event": "Login", "userId": "u-1", "timestamp": tomorrow.isoformat()})
    api.drain()
    [event] = activity(api)
    assert event["timestamp"] == "2026-11-27T12:00:00.000Z"
    assert event["context"]["clientTimestamp"] == "2026-11-28T08:00:00+00:00"
    assert aggregates(api)["dailyEventCounts"]["Login"] == {"20261127": 1}
