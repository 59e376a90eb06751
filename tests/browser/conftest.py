"""Browser tests: Debian's headless Chromium (through Playwright) against the local runtime.

The runtime is started in this process, once for the package (not the session), on free ports with its own
stage. It sets ``AWS_ENDPOINT_URL`` and the stage's names in ``os.environ``, so the fixture restores the
environment when the package is done: moto-mocked tests that run afterwards in the same process (``make test``
with xdist) must not talk to this runtime's moto server.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

STAGE = "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
T = TypeVar("T")


@dataclass
class ServerApi:
    """The server API over real HTTP with the runtime's secret key (http.client, no extra dependency)."""

    base_url: str
    key: str

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        parts = urlsplit(self.base_url)
        token = base64.b64encode(f"api:{self.key}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        return response.status, json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, f"GET {path} -> {status}: {body}"
        return body


@pytest.fixture(scope="package")
def runtime() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed in this environment")
    from chalicelib import deps
    from chalicelib.local.runtime import LocalRuntime
    from chalicelib.settings import settings_from_env

    saved = dict(os.environ)
    retargeted = _retarget_queue_handlers(settings_from_env({"ORBIT_STAGE": STAGE}))
    runtime = LocalRuntime(port=0, stage=STAGE)
    try:
        runtime.start()
        yield runtime
    finally:
        runtime.stop()
        for source, queue in retargeted:
            source.queue = queue
        os.environ.clear()
        os.environ.update(saved)
        deps.reset()


def _retarget_queue_handlers(settings: Any) -> list[tuple[Any, str]]:
    """``app`` reads its queue names at import and Chalice cannot import it twice in one process (blueprints
    register once). When earlier tests imported it for their stage, point its queue handlers at this stage's
    queues for the runtime's pollers; the caller restores the old names."""
    module = sys.modules.get("app")
    if module is None:
        return []
    from chalice.app import SQSEventConfig

    changed = []
    queues = {"consume_events": settings.events_queue, "consume_imports": settings.imports_queue}
    for source in module.app.event_sources:
        queue = queues.get(source.name, "")
        if isinstance(source, SQSEventConfig) and source.queue != queue:
            changed.append((source, source.queue))
            source.queue = queue
    return changed


@pytest.fixture(scope="package")
def browser(runtime: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any, runtime: Any) -> Iterator[Any]:
    """A fresh browser profile (cookies, localStorage) per test: one visitor."""
    ctx = browser.new_context(base_url=runtime.url)
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def server(runtime: Any) -> ServerApi:
    return ServerApi(runtime.url, runtime.api_key)


@pytest.fixture
def eventually(runtime: Any) -> Callable[..., Any]:
    """``eventually(check, timeout=20)``: wait for the queues to drain, then run ``check`` until it stops raising
    AssertionError (the pipeline is asynchronous); after the deadline the last failure is raised."""

    def wait(check: Callable[[], T], timeout: float = 20.0) -> T:
        deadline = time.monotonic() + timeout
        while True:
            runtime.wait_idle(timeout=max(0.1, deadline - time.monotonic()))
            try:
                return check()
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.2)

    return wait
