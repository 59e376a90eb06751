"""End to end: ``make run``'s runtime in a subprocess, driven over real HTTP."""

import pytest

pytestmark = pytest.mark.e2e


def test_contacts_events_aggregates_activity_duplicates_and_errors(platform):
    # GIVEN a contact
    assert platform.request("PUT", "/v1/contacts/e2e-1", {"email": "e2e@example.com", "firstName": "Eve"})[0] == 201
    # WHEN events arrive, one of them twice, plus a bad one and an order
    events = [
        {"type": "Product Viewed", "externalId": "e2e-1", "eventId": "v1", "properties": {"product_id": "sku-1"}},
        {"type": "Product Viewed", "externalId": "e2e-1", "eventId": "v1", "properties": {"product_id": "sku-1"}},
        {"type": "Login", "email": "e2e@example.com", "eventId": "l1"},
        {"type": "Broken"},
    ]
    status, body = platform.request("POST", "/v1/events", {"events": events})
    assert status == 202 and body["accepted"] == 3 and body["rejected"][0]["index"] == 3
    order = {
        "externalOrderId": "e2e-o1",
        "externalId": "e2e-1",
        "status": "DELIVERED",
        "date": "2026-11-01T10:00:00Z",
        "totalCost": 42,
        "currency": "EUR",
    }
    assert platform.request("POST", "/v1/orders", {"orders": [order, order]})[0] == 202

    # THEN the card shows the aggregates, duplicates counted once
    def settled():
        _, card = platform.request("GET", "/v1/contacts/e2e-1")
        aggs = card["aggregates"]
        return card if aggs["orderCount"] == 1 and "Login" in aggs["eventCounts"] else None

    card = platform.until(settled)
    assert card, "the consumer did not apply the events"
    aggs = card["aggregates"]
    assert aggs["eventCounts"]["Product Viewed"]["last1d"] == 1
    assert (aggs["revenue"], aggs["recentlyViewed"][0]["productId"]) == ({"EUR": 42.0}, "sku-1")
    _, activity = platform.request("GET", "/v1/contacts/e2e-1/activity?limit=10")
    assert sorted(e["type"] for e in activity["events"]) == ["Login", "Product Viewed", "orderDELIVERED"]


def test_bad_input_gets_the_error_shape_over_http(platform):
    status, body = platform.request("PUT", "/v1/contacts/e2e-2", {"email": "nope", "colour": "red"})
    assert status == 400
    assert sorted(d["path"] for d in body["error"]["details"]) == ["colour", "email"]
    assert platform.request("GET", "/v1/contacts/e2e-2")[0] == 404


def test_a_site_key_is_refused_on_the_server_api(platform):
    assert platform.request("GET", "/v1/contacts/e2e-1", key=platform.site_key)[0] == 403


def test_ctrl_c_shuts_down_cleanly():
    from tests.conftest import start_platform, stop_platform

    started = start_platform()
    output = stop_platform(started)
    assert started.process.returncode == 0 and "Stopped." in output
