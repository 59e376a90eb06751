"""End to end: ``make run``'s runtime in a subprocess, driven over real HTTP."""

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.conftest import basic

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
    assert (aggs["revenue"], aggs["recentlyViewed"][0]["productId"]) == ({"EUR": "42.00"}, "sku-1")
    _, activity = platform.request("GET", "/v1/contacts/e2e-1/activity?limit=10")
    assert sorted(e["type"] for e in activity["events"]) == ["Login", "Product Viewed", "orderDELIVERED"]


def test_bad_input_gets_the_error_shape_over_http(platform):
    status, body = platform.request("PUT", "/v1/contacts/e2e-2", {"email": "nope", "colour": "red"})
    assert status == 400
    assert sorted(d["path"] for d in body["error"]["details"]) == ["colour", "email"]
    assert platform.request("GET", "/v1/contacts/e2e-2")[0] == 404


def test_a_site_key_is_refused_on_the_server_api(platform):
    assert platform.request("GET", "/v1/contacts/e2e-1", key=platform.site_key)[0] == 403


def send(platform, method, path, body=None, headers=None):
    """One request over a fresh connection, any verb, any body: (status, headers, parsed JSON body)."""
    url = urlsplit(platform.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        sent = {"Content-Type": "application/json", **basic(platform.api_key), **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("verb", ["TRACE", "CONNECT", "FOO"])
def test_a_verb_the_server_does_not_implement_is_405_in_the_error_shape(platform, verb):
    status, headers, body = send(platform, verb, "/v1/events")
    assert (status, body["error"]["code"], headers["Allow"]) == (405, "method_not_allowed", "POST")


def test_a_verb_the_server_does_not_implement_on_an_unknown_path_is_404(platform):
    status, _, body = send(platform, "TRACE", "/v1/nowhere")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_method_the_route_does_not_serve_is_405_over_http(platform):
    status, headers, body = send(platform, "PATCH", "/v1/contacts/e2e-1", "{}")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    assert sorted(headers["Allow"].split(", ")) == ["DELETE", "GET", "PUT"]


def test_json_nested_100000_deep_is_400_over_http(platform):
    status, _, body = send(platform, "POST", "/v1/events", "[" * 100_000 + "]" * 100_000)
    assert (status, body["error"]["code"]) == (400, "invalid_input")


def test_the_servers_own_refusals_use_the_error_shape(platform):
    # http.server refuses a header line over 64 KB itself, before Chalice sees the request
    url = urlsplit(platform.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, response.headers["Content-Type"]) == (431, "application/json")
        assert json.loads(response.read())["error"]["code"] == "request_header_fields_too_large"


def test_ctrl_c_shuts_down_cleanly():
    from tests.conftest import start_platform, stop_platform

    started = start_platform()
    output = stop_platform(started)
    assert started.process.returncode == 0 and "Stopped." in output
