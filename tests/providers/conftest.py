"""Fixtures for the provider tests: a real HTTP server on loopback that records each request and answers what the
test queues, and moto for the AWS providers (SES v2, SNS, SSM, Secrets Manager)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.providers import secrets


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Loopback:
    """A provider API on 127.0.0.1: ``answers`` are (status, body) served in order (the last one repeats)."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)
    delay: float = 0.0

    def answer(self, status: int, body: Any) -> None:
        self.answers.append((status, body))


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    state: list[Loopback] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            server = state[0]
            length = int(self.headers.get("Content-Length") or 0)
            server.seen.append(
                Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
            )
            if server.delay:
                threading.Event().wait(server.delay)
            status, body = server.answers.pop(0) if len(server.answers) > 1 else (server.answers or [(200, {})])[0]
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Loopback(f"http://127.0.0.1:{httpd.server_address[1]}"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state[0]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _fresh_credentials() -> Iterator[None]:
    secrets.forget()
    yield
    secrets.forget()


@pytest.fixture
def clients() -> Iterator[Callable[[str], Any]]:
    """boto3 clients on a fresh moto account (what ``aws.client`` hands the senders in the deployment)."""
    with mock_aws():
        made: dict[str, Any] = {}

        def client(service: str) -> Any:
            if service not in made:
                made[service] = boto3.client(service, region_name="us-east-1")
            return made[service]

        yield client
