"""Structured logs: one JSON object per line, and an event followed from its request to its contact write."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from chalicelib import logs


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(stream=stream)
    yield stream
    logs.configure()


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_request_answers_with_its_correlation_id(api):
    response = api.call("PUT", "/v1/contacts/u-1", {}, headers={"X-Request-Id": "req-abc"})
    assert response.headers["X-Request-Id"] == "req-abc"


def test_a_request_without_an_id_gets_a_new_one(api):
    first = api.call("PUT", "/v1/contacts/u-1", {}).headers["X-Request-Id"]
    second = api.call("PUT", "/v1/contacts/u-1", {}).headers["X-Request-Id"]
    assert first and second and first != second


def test_an_event_is_followed_from_its_request_to_the_write_that_stored_it(api, log_lines):
    # GIVEN an event accepted under request id req-42
    body = {"events": [{"type": "Login", "externalId": "u-1", "eventId": "e-1"}]}
    assert api.call("POST", "/v1/events", body, headers={"X-Request-Id": "req-42"}).status_code == 202
    # WHEN the consumer applies it
    api.drain()
    # THEN the batch names the request each record came from, and the write names the record, in one batch id
    lines = _records(log_lines)
    received = next(r for r in lines if r["message"] == "batch received" and "req-42" in r["from_requests"].values())
    (record_id,) = [m for m, request in received["from_requests"].items() if request == "req-42"]
    written = next(r for r in lines if r["message"] == "contact written" and record_id in r["records"])
    assert written["correlation_id"] == received["correlation_id"] != "req-42"
    assert written["level"] == "INFO" and written["service"] == "orbit"


def test_log_lines_inside_a_request_carry_its_id(log_lines):
    import logging

    with logs.correlated("req-7"):
        logging.getLogger("orbit.test").info("inside")
    logging.getLogger("orbit.test").info("outside")
    inside, outside = _records(log_lines)
    assert inside["correlation_id"] == "req-7" and "correlation_id" not in outside
