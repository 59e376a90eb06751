"""A developer's own site (pages on http://localhost:<another port>, like a dev server on :3000) sends to the local
runtime: when the endpoint refuses its origin or site key, orbit.js says why in ONE console warning per page; with
the origin allowed (as ``ORBIT_SITE_ORIGINS`` does for the local key) nothing is printed and the events arrive.

The pages come from a real HTTP server on loopback: Chromium lets only a loopback page call the loopback runtime
(Local Network Access), so a page Playwright fulfilled itself could not load orbit.js at all."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.browser


class DevSite(http.server.ThreadingHTTPServer):
    """A developer's site: serves the HTML put in ``pages`` by path."""

    pages: dict[str, str]

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.server_address[1]}"


class _DevSiteHandler(http.server.BaseHTTPRequestHandler):
    server: DevSite

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        html = self.server.pages.get(self.path)
        body = (html or "not found").encode()
        self.send_response(200 if html else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def dev_site() -> Iterator[DevSite]:
    site = DevSite(("127.0.0.1", 0), _DevSiteHandler)
    site.pages = {}
    thread = threading.Thread(target=site.serve_forever, name="dev-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


# --- page helpers ----------------------------------------------------------------------------------------------


def dev_page(context: Any, runtime: Any, site: DevSite, path: str, site_key: str) -> tuple[Any, list[str]]:
    """Open ``path`` on the dev site with orbit.js installed by the documented loader snippet; returns the page
    and the list its console warnings are collected into."""
    snippet = (
        "!function(w,d,u){w.orbit=w.orbit||function(){(w.orbit.q=w.orbit.q||[]).push(arguments)};"
        "var s=d.createElement('script');s.async=1;s.src=u;d.head.appendChild(s)}"
        f"(window,document,{json.dumps(runtime.url + '/sdk/orbit.js')});"
        f"orbit('init',{{siteKey:{json.dumps(site_key)},endpoint:{json.dumps(runtime.url)}}});"
    )
    html = f"<!doctype html><html><head><title>dev site</title></head><body><script>{snippet}</script></body></html>"
    site.pages[path] = html
    page = context.new_page()
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(site.origin + path)
    page.wait_for_function("window.orbit && window.orbit.loaded === true")
    return page, warnings


def track_and_flush(page: Any, name: str = "Dev Event") -> bool:
    """Queue one event and send it now; the flush settles once the response (and any warning) is handled."""
    sent: bool = page.evaluate(f"(orbit('track', {json.dumps(name)}, {{}}), orbit.flush())")
    return sent


def orbit_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if w.startswith("[orbit]")]


# --- tests -----------------------------------------------------------------------------------------------------


def test_an_origin_the_site_key_does_not_allow_gets_one_warning_per_page(context, runtime, dev_site):
    page, warnings = dev_page(context, runtime, dev_site, "/shop", runtime.site_key)
    track_and_flush(page)
    [warning] = orbit_warnings(warnings)
    assert "403" in warning and "does not allow this origin" in warning
    assert dev_site.origin in warning and runtime.url in warning

    for _ in range(3):  # more refused batches on the same page: still one warning
        track_and_flush(page)
    page.evaluate("new Promise(r => setTimeout(r, 200))")
    assert len(orbit_warnings(warnings)) == 1, warnings

    page.reload()  # a new page says it again, once
    page.wait_for_function("window.orbit && window.orbit.loaded === true")
    track_and_flush(page)
    track_and_flush(page)
    assert len(orbit_warnings(warnings)) == 2, warnings


def test_an_unknown_site_key_gets_one_warning(context, runtime, dev_site):
    page, warnings = dev_page(context, runtime, dev_site, "/login", "opk_not_a_key_of_this_runtime")
    track_and_flush(page)
    track_and_flush(page)
    [warning] = orbit_warnings(warnings)
    assert "401" in warning and "A valid API key is required" in warning


def test_an_allowed_origin_sends_without_a_warning(context, runtime, dev_site, server, eventually):
    from chalicelib.deps import ports
    from chalicelib.local.origins import site_origins
    from chalicelib.services.keys import create_key

    key = f"opk_dev_site_{uuid.uuid4().hex}"
    allowed = site_origins(f"{dev_site.origin}/, http://127.0.0.1:5173")
    create_key(ports(), "site", "dev site", origins=allowed, plaintext=key)
    page, warnings = dev_page(context, runtime, dev_site, "/account", key)
    external_id = f"dev-{uuid.uuid4().hex[:10]}"
    page.evaluate(f"orbit('identify', {json.dumps(external_id)}, {{}})")
    assert track_and_flush(page, "Dev Signed Up") is True

    def stored() -> None:
        status, card = server.request("GET", f"/v1/contacts/{external_id}")
        assert status == 200 and "Dev Signed Up" in card["aggregates"]["eventCounts"], card

    eventually(stored)
    assert orbit_warnings(warnings) == []
