"""Gzip request bodies over real HTTP against ``make run``'s runtime, including Segment's own Python library
(``segment-analytics-python``) with ``gzip=True``."""

from __future__ import annotations

import gzip
import http.client
import json
import uuid
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import basic

pytestmark = pytest.mark.e2e


def post(platform: Any, path: str, body: bytes, headers: dict[str, str], key: str | None = None) -> tuple[int, Any]:
    url = urlsplit(platform.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    try:
        sent = {"Content-Type": "application/json", **basic(key or platform.api_key), **headers}
        conn.request("POST", path, body=body, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def activity(platform: Any, external_id: str) -> list[dict[str, Any]]:
    status, body = platform.request("GET", f"/v1/contacts/{external_id}/activity?limit=20")
    return body["events"] if status == 200 else []


def test_gzipped_events_are_accepted_and_stored(platform):
    external_id = f"gz-e2e-{uuid.uuid4().hex[:8]}"
    events = {"events": [{"type": "Login", "externalId": external_id}, {"type": "Logout", "externalId": external_id}]}
    status, body = post(
        platform, "/v1/events", gzip.compress(json.dumps(events).encode()), {"Content-Encoding": "gzip"}
    )
    assert (status, body) == (202, {"accepted": 2, "rejected": []})
    stored = platform.until(lambda: len(activity(platform, external_id)) == 2 and activity(platform, external_id))
    assert sorted(e["type"] for e in stored) == ["Login", "Logout"]
    assert all(e["eventId"].startswith("evt-") for e in stored)


def test_a_retried_request_without_event_ids_is_stored_once(platform):
    external_id = f"gz-retry-{uuid.uuid4().hex[:8]}"
    events = {"events": [{"type": "Login", "externalId": external_id, "timestamp": "2026-01-02T03:04:05Z"}]}
    for _ in range(2):
        assert platform.request("POST", "/v1/events", events)[0] == 202
    assert platform.until(lambda: activity(platform, external_id))
    assert len(activity(platform, external_id)) == 1


def test_a_decompression_bomb_is_413_and_the_server_keeps_serving(platform):
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    bomb = b"".join([*(deflater.compress(block) for _ in range(64)), deflater.flush()]) * 40  # 2.5 GiB in ~2.6 MB
    status, body = post(platform, "/v1/events", bomb, {"Content-Encoding": "gzip"})
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert platform.request("GET", "/v1/fields")[0] == 200


def test_corrupt_gzip_is_400_and_an_unsupported_coding_415(platform):
    status, body = post(platform, "/v1/events", gzip.compress(b'{"events": []}')[:-6], {"Content-Encoding": "gzip"})
    assert status == 400 and body["error"]["details"][0]["path"] == "Content-Encoding"
    status, body = post(platform, "/v1/events", b"\x0b\x03\x80{}\x03", {"Content-Encoding": "br"})
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"


def test_segments_python_library_with_gzip_delivers(platform):
    from segment.analytics import Client

    user_id = f"seg-gz-{uuid.uuid4().hex[:8]}"
    errors: list[Any] = []

    # sync_mode posts each call at once and raises on any non-2xx answer
    direct = Client(platform.site_key, host=platform.url, gzip=True, sync_mode=True, max_retries=0)
    direct.identify(user_id, {"email": f"{user_id}@example.com", "firstName": "Seg"})
    direct.track(user_id, "Order Viewed", {"order_id": "o-1", "total": 12.5})

    # the default mode batches in a background thread, as applications run it
    batched = Client(platform.site_key, host=platform.url, gzip=True, on_error=lambda e, batch: errors.append(e))
    for n in range(5):
        batched.track(user_id, "Product Viewed", {"product_id": f"sku-{n}"})
    batched.flush()
    batched.join()
    assert errors == []

    def delivered() -> Any:
        status, card = platform.request("GET", f"/v1/contacts/{user_id}")
        counts = card["aggregates"]["eventCounts"] if status == 200 else {}
        done = counts.get("Product Viewed", {}).get("last1d") == 5 and "Order Viewed" in counts
        return card if done else None

    card = platform.until(delivered)
    assert card, "Segment's library did not deliver"
    assert card["email"] == f"{user_id}@example.com" and card["firstName"] == "Seg"
