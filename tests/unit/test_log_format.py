"""``ORBIT_LOG_FORMAT=text``: the local runtime's short lines; JSON stays the default (Lambda)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from chalicelib import logs


@pytest.fixture
def text() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(stream=stream, fmt="text")
    yield stream
    logs.configure()


def _lines(stream: io.StringIO) -> list[str]:
    return [re.sub(r"^\d\d:\d\d:\d\d ", "HH:MM:SS ", line) for line in stream.getvalue().splitlines()]


def test_a_request_is_one_short_line(text: io.StringIO) -> None:
    logging.getLogger("orbit.local.http").info(
        "request", extra={"method": "POST", "path": "/v1/events", "status": 202, "ms": 41}
    )
    assert _lines(text) == ["HH:MM:SS POST /v1/events 202 41ms"]


def test_a_consumer_batch_is_one_short_line(text: io.StringIO) -> None:
    logging.getLogger("orbit.consumer").info(
        "batch applied", extra={"records": 100, "contacts": 12, "changed": 12, "failed": 0}
    )
    assert _lines(text) == ["HH:MM:SS consumer: 100 records, 12 contacts, 0 failed"]


def test_other_records_keep_their_message_and_warnings_their_level(text: io.StringIO) -> None:
    log = logging.getLogger("orbit.local")
    log.info("poller %s started", "events")
    log.warning("poller %s is still busy", "events")
    assert _lines(text) == ["HH:MM:SS poller events started", "HH:MM:SS WARNING: poller events is still busy"]


def test_an_exception_follows_its_line(text: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("orbit.local").exception("handler failed")
    lines = _lines(text)
    assert lines[0] == "HH:MM:SS ERROR: handler failed"
    assert lines[-1] == "ValueError: boom"


def test_json_is_the_default_and_the_variable_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert logs.log_format({}) == "json"
    assert logs.log_format({"ORBIT_LOG_FORMAT": "TEXT"}) == "text"
    assert logs.log_format({"ORBIT_LOG_FORMAT": "xml"}) == "json"

    stream = io.StringIO()
    monkeypatch.delenv("ORBIT_LOG_FORMAT", raising=False)
    logs.configure(stream=stream)
    try:
        logging.getLogger("orbit.local.http").info(
            "request", extra={"method": "GET", "path": "/health", "status": 200, "ms": 3}
        )
    finally:
        logs.configure()
    record = json.loads(stream.getvalue())
    assert (record["message"], record["method"], record["status"], record["ms"]) == ("request", "GET", 200, 3)


def test_per_contact_detail_is_left_to_the_json_lines(text: io.StringIO) -> None:
    logging.getLogger("orbit.consumer").info("contact written", extra={"records": ["m-1"], "new_events": 1})
    logging.getLogger("orbit.jobs").info("batch received", extra={"records": 1})
    logging.getLogger("orbit.consumer").warning("merge into a contact deleted since: nothing to do")
    assert _lines(text) == ["HH:MM:SS WARNING: merge into a contact deleted since: nothing to do"]
