"""``/health``: the parts (API, queues, what the host registered), and 200 / 503 for ok / degraded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.api import docs
from chalicelib.errors import Retryable


@pytest.fixture(autouse=True)
def no_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only this test's parts (an in-process runtime another test started in this worker registers its own)."""
    monkeypatch.setattr(docs, "_CHECKS", {})


@pytest.fixture
def checks() -> Iterator[list[str]]:
    added: list[str] = []
    yield added
    for name in added:
        docs.register_health(name, None)


def test_health_reports_the_api_and_each_queue(api) -> None:
    status, body = api.json("GET", "/health", key=None)

    assert status == 200
    assert body["status"] == "ok"
    assert body["parts"]["api"] == {"status": "ok"}
    queues = body["parts"]["queues"]
    assert queues["status"] == "ok"
    assert queues["events"] == {"depth": 0, "inFlight": 0, "oldestAgeSeconds": None, "deadLetters": 0}
    assert set(queues) == {"status", "events", "imports"}


def test_queued_and_parked_messages_are_counted(api) -> None:
    api.call("POST", "/v1/events", {"events": [{"type": "Login", "externalId": "u-1", "eventId": "e-1"}]})
    api.stores.dead_letters.park("imports", "not json", "cannot be parsed")

    _, body = api.json("GET", "/health", key=None)

    assert body["parts"]["queues"]["events"]["depth"] == 1
    assert body["parts"]["queues"]["imports"]["deadLetters"] == 1
    assert body["status"] == "ok"  # parked messages want a look, but the platform is working


def test_a_registered_part_is_reported(api, checks) -> None:
    checks.append("scheduler")
    docs.register_health("scheduler", lambda: {"status": "ok", "alive": True})

    status, body = api.json("GET", "/health", key=None)

    assert status == 200
    assert body["parts"]["scheduler"] == {"status": "ok", "alive": True}


def test_a_degraded_or_failing_part_makes_the_whole_degraded_with_503(api, checks) -> None:
    checks += ["pollers", "aws"]
    docs.register_health("pollers", lambda: {"status": "degraded", "alive": 0})

    def unreachable() -> dict:
        raise ConnectionError("connection refused")

    docs.register_health("aws", unreachable)

    status, body = api.json("GET", "/health", key=None)

    assert status == 503  # in the one error shape, a detail per degraded part
    assert body["error"]["code"] == "degraded"
    assert body["error"]["message"] == "Orbit is degraded: pollers, aws"
    assert body["error"]["details"] == [
        {"path": "parts.pollers", "message": "alive 0"},
        {"path": "parts.aws", "message": "connection refused"},
    ]


def test_unreadable_queues_are_degraded(api, monkeypatch) -> None:
    def fail(stream: str) -> None:
        raise Retryable("queue orbit-test-events is unavailable")

    monkeypatch.setattr(api.stores.queue_status, "status", fail)

    status, body = api.json("GET", "/health", key=None)

    assert status == 503
    assert body["error"]["details"] == [{"path": "parts.queues", "message": "queue orbit-test-events is unavailable"}]


def test_the_root_is_a_landing_page_linking_docs_demo_and_health(api) -> None:
    response = api.call("GET", "/", key=None)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode() if isinstance(response.body, bytes) else response.body
    for link in ('href="/docs"', 'href="/demo/"', 'href="/health"'):
        assert link in page
    assert "http" not in page.replace("http-equiv", "")  # nothing from a CDN
