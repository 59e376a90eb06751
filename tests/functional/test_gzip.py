"""Request bodies with ``Content-Encoding: gzip``: accepted on every POST/PUT route, the size limit applied after
decompression, bombs stopped early, corrupt bodies a 400, other codings a 415; and what API Gateway hands the
function (a base64 body for the binary media types ``app.py`` declares, or one it already inflated)."""

from __future__ import annotations

import base64
import gzip
import json
import time
import tracemalloc
import zlib
from typing import Any

import pytest

from chalicelib.api.http import MAX_BODY_BYTES, ROUTES
from tests.conftest import SITE_KEY, SITE_ORIGIN, basic

GZIP = {"Content-Encoding": "gzip"}


def gz(value: Any) -> bytes:
    return gzip.compress(value if isinstance(value, bytes) else json.dumps(value).encode())


def error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.body)["error"]
    return body


def paths(response: Any) -> set[str]:
    return {d["path"] for d in error(response)["details"]}


@pytest.fixture(scope="module")
def zeros_member() -> bytes:
    """One gzip member of 256 MiB of zeros (about 255 KB)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join([*(deflater.compress(block) for _ in range(256)), deflater.flush()])


# --- accepted ----------------------------------------------------------------------------------------------------


def test_gzipped_json_events_are_accepted_and_stored(api):
    events = [
        {"type": "Product Viewed", "externalId": "gz-1", "eventId": "gz-e1", "properties": {"product_id": "sku-1"}},
        {"type": "Login", "externalId": "gz-1", "eventId": "gz-e2"},
    ]
    response = api.call("POST", "/v1/events", raw=gz({"events": events}), headers=GZIP)
    assert response.status_code == 202, response.body
    assert json.loads(response.body) == {"accepted": 2, "rejected": []}
    api.drain()
    _, activity = api.json("GET", "/v1/contacts/gz-1/activity?limit=10")
    assert sorted(e["eventId"] for e in activity["events"]) == ["gz-e1", "gz-e2"]


def test_a_gzipped_segment_batch_sent_as_text_plain_is_accepted_and_stored(api):
    batch = {
        "batch": [
            {"type": "track", "event": "Signed Up", "userId": "gz-2", "messageId": "gz-m1"},
            {"type": "identify", "userId": "gz-2", "traits": {"email": "gz2@example.com"}, "messageId": "gz-m2"},
        ],
        "writeKey": SITE_KEY,
    }
    response = api.call(
        "POST",
        "/v1/batch",
        raw=gz(batch),
        key=None,
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": SITE_ORIGIN, **GZIP},
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["accepted"] == 2
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    api.drain()
    _, card = api.json("GET", "/v1/contacts/gz-2")
    assert card["email"] == "gz2@example.com" and "Signed Up" in card["aggregates"]["eventCounts"]


def test_segments_gzip_with_basic_auth_and_json_is_accepted(api):
    body = gz({"batch": [{"type": "track", "event": "X", "anonymousId": "a-gz", "messageId": "gz-m3"}]})
    response = api.call("POST", "/v1/batch", raw=body, key=None, headers={**basic(SITE_KEY, user=""), **GZIP})
    assert response.status_code == 200, response.body


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body", "status"),
    [
        ("PUT", "/v1/contacts/gz-3", "application/json", {"email": "gz3@example.com"}, 201),
        ("POST", "/v1/fields", "application/json", {"name": "gzTier", "type": "string"}, 201),
        ("POST", "/v1/imports/contacts", "application/json", {"contacts": [{"externalId": "gz-7"}]}, 202),
        ("POST", "/v1/products/import", "text/csv", b"id,title,price,availability\nG-1,Mug,9.50 USD,in stock\n", 200),
        ("PUT", "/v1/products/gz-2", "application/json", {"name": "Gz", "price": "2", "currency": "USD"}, 201),
    ],
)
def test_every_body_route_reads_gzip(api, method, path, content_type, body, status):
    response = api.call(method, path, raw=gz(body), headers={"Content-Type": content_type, **GZIP})
    assert response.status_code == status, response.body


def test_identity_and_x_gzip_are_understood(api):
    events = {"events": [{"type": "A", "externalId": "gz-4", "eventId": "gz-e4"}]}
    plain = api.call("POST", "/v1/events", events, headers={"Content-Encoding": "identity"})
    assert plain.status_code == 202, plain.body
    legacy = api.call("POST", "/v1/events", raw=gz(events), headers={"Content-Encoding": "x-gzip"})
    assert legacy.status_code == 202, legacy.body


def test_concatenated_gzip_members_are_one_body(api):
    text = json.dumps({"events": [{"type": "A", "externalId": "gz-5", "eventId": "gz-e5"}]}).encode()
    response = api.call("POST", "/v1/events", raw=gzip.compress(text[:10]) + gzip.compress(text[10:]), headers=GZIP)
    assert response.status_code == 202, response.body


def test_a_body_just_under_the_limit_once_decompressed_is_accepted(api):
    filler = "x" * 19_000
    events = [{"type": "A", "externalId": f"gz-6-{i}", "properties": {"f": filler}} for i in range(300)]
    raw = json.dumps({"events": events}).encode()
    assert 100 * len(gz(raw)) < len(raw) < MAX_BODY_BYTES
    response = api.call("POST", "/v1/events", raw=gz(raw), headers=GZIP)
    assert response.status_code == 202 and json.loads(response.body)["accepted"] == 300


# --- refused -----------------------------------------------------------------------------------------------------


def test_a_gzipped_body_over_the_limit_once_decompressed_is_413(api):
    raw = json.dumps({"events": [{"type": "A", "externalId": "u", "properties": {"f": "x" * MAX_BODY_BYTES}}]})
    body = gz(raw.encode())
    assert len(body) < MAX_BODY_BYTES // 100
    response = api.call("POST", "/v1/events", raw=body, headers=GZIP)
    assert response.status_code == 413
    assert error(response)["code"] == "payload_too_large" and paths(response) == {"Content-Encoding"}


def test_a_decompression_bomb_is_413_quickly_with_bounded_memory(api, zeros_member):
    bomb = zeros_member * 20  # 5 GiB of zeros in about 5 MB (20 concatenated members, each 256 MiB)
    assert len(bomb) < MAX_BODY_BYTES
    tracemalloc.start()
    started = time.monotonic()
    try:
        response = api.call("POST", "/v1/events", raw=bomb, headers=GZIP)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413, response.body
    assert time.monotonic() - started < 5
    # the body itself is held a few times over by the test client; the output never grows past the limit
    assert peak < 8 * MAX_BODY_BYTES, peak


def test_a_single_member_bomb_is_413(api, zeros_member):
    response = api.call("POST", "/v1/events", raw=zeros_member, headers=GZIP)
    assert response.status_code == 413 and paths(response) == {"Content-Encoding"}


def test_a_bomb_on_the_tracking_api_is_413_before_the_site_key_is_read(api, zeros_member):
    response = api.call("POST", "/v1/batch", raw=zeros_member, key=None, headers={"Origin": SITE_ORIGIN, **GZIP})
    assert response.status_code == 413
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN  # the browser can read why


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(gz({"events": []})[:-12], id="truncated"),
        pytest.param(gz({"events": []})[:-8] + b"\0\0\0\0" + gz({"events": []})[-4:], id="bad-crc"),
        pytest.param(b"\x1f\x8b\x08\x00garbage-after-the-magic", id="garbage"),
        pytest.param(gz({"events": []}) + b"trailing", id="trailing-garbage"),
    ],
)
def test_a_corrupt_gzip_body_is_400_naming_content_encoding(api, corrupt):
    response = api.call("POST", "/v1/events", raw=corrupt, headers=GZIP)
    assert response.status_code == 400, response.body
    assert error(response)["code"] == "invalid_input" and paths(response) == {"Content-Encoding"}


def test_a_body_declared_gzip_that_is_neither_gzip_nor_json_is_400_naming_content_encoding(api):
    response = api.call("POST", "/v1/events", raw=b"plainly not gzip", headers=GZIP)
    assert response.status_code == 400 and "Content-Encoding" in paths(response)


@pytest.mark.parametrize("coding", ["br", "deflate", "zstd", "gzip, br", "compress"])
def test_an_unsupported_content_encoding_is_415(api, coding):
    response = api.call("POST", "/v1/events", raw=b"\x8b\x0b\x80{}\x03", headers={"Content-Encoding": coding})
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type" and paths(response) == {"Content-Encoding"}


# --- behind API Gateway ------------------------------------------------------------------------------------------


def gateway_event(body: bytes, headers: dict[str, str], *, base64_encoded: bool) -> dict[str, Any]:
    """A Lambda proxy event as API Gateway's REST API builds it (the fields Chalice reads)."""
    return {
        "resource": "/v1/events",
        "path": "/v1/events",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/events",
            "httpMethod": "POST",
            "path": "/api/v1/events",
            "stage": "api",
            "requestId": "gw-request-1",
            "apiId": "abc123",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": base64.b64encode(body).decode() if base64_encoded else body.decode(),
        "isBase64Encoded": base64_encoded,
    }


def test_behind_api_gateway_a_base64_gzip_body_is_decoded_and_inflated(api):
    from app import app

    events = {"events": [{"type": "A", "externalId": "gw-1", "eventId": "gw-e1"}]}
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        **basic("osk_test_secret_key_0123456789"),
    }
    response = app(gateway_event(gz(events), headers, base64_encoded=True), None)
    assert response["statusCode"] == 202, response
    assert json.loads(response["body"])["accepted"] == 1
    assert not response.get("isBase64Encoded"), "a JSON response must stay text"


def test_behind_api_gateway_a_body_the_gateway_inflated_keeps_working(api):
    """API Gateway inflates gzip request bodies itself and forwards them with ``Content-Encoding: gzip`` still set."""
    from app import app

    events = {"events": [{"type": "A", "externalId": "gw-2", "eventId": "gw-e2"}]}
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        **basic("osk_test_secret_key_0123456789"),
    }
    for encoded in (False, True):
        response = app(gateway_event(json.dumps(events).encode(), headers, base64_encoded=encoded), None)
        assert response["statusCode"] == 202, response


def _gateway_matches(media_type: str, binary_types: list[str]) -> bool:
    """API Gateway's binaryMediaTypes rule: an exact type, ``type/*`` or ``*/*``."""
    major = media_type.split("/")[0]
    return any(t in (media_type, f"{major}/*", "*/*") for t in binary_types)


def test_every_accepted_content_type_is_a_binary_media_type_so_gzip_passes_api_gateway_intact():
    from app import app

    accepted = {t for spec in ROUTES if spec.takes_body for t in spec.content_types}
    assert accepted >= {"application/json", "text/plain", "text/csv"}
    assert [t for t in sorted(accepted) if not _gateway_matches(t, app.api.binary_types)] == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/html; charset=utf-8",
        "application/javascript; charset=utf-8",
        "text/css; charset=utf-8",
        "text/plain",
    ],
)
def test_text_responses_are_not_base64_encoded(content_type):
    """Chalice base64-encodes a response whose type it finds in the binary types (and then demands a matching
    Accept header): the wildcards it does not expand keep every text response as text."""
    from chalice.app import Response

    from app import app

    assert "*/*" not in app.api.binary_types
    out = Response(body="{}", headers={"Content-Type": content_type}).to_dict(app.api.binary_types)
    assert "isBase64Encoded" not in out and out["body"] == "{}"


def test_a_json_request_without_an_accept_header_still_gets_json(api):
    response = api.client.http.request("GET", "/v1/fields", headers=basic("osk_test_secret_key_0123456789"))
    assert response.status_code == 200 and isinstance(json.loads(response.body), dict)
