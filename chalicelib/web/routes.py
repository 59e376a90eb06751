"""Static web assets: the orbit.js browser SDK and the demo shop (owns chalicelib/web).

Routes (no auth, read-only, files read once from disk and cached in memory):

* ``GET /``               a small landing page linking the API reference, the demo shop and the health check.
* ``GET /sdk/orbit.js``   the tracking SDK, cacheable, CORS-open.
* ``GET /sdk/orbit-widgets.js``  what draws on-site widgets; orbit.js loads it when a page has some.
* ``GET /sdk/orbit-recommend.js``  what draws recommendation blocks; orbit.js loads it on a page's first block.
* ``GET /demo``           301 to ``/demo/`` (so the pages' relative links resolve under ``/demo/``);
                          the same route serves ``index.html`` when the request path is ``/demo/``.
* ``GET /demo/{page}``    an allow-listed demo file by bare name (``*.html``, ``*.js``, ``*.css``).

HTML pages get ``<script>window.ORBIT_SITE_KEY="...";</script>`` injected before ``</head>``.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.api.http import Call, api_route
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings


def demo_site_key() -> str:
    """The public site key the demo pages pass to ``orbit('init')`` (set by the local runtime)."""
    return get_settings().demo_site_key


bp = Blueprint(__name__)

_HERE = Path(__file__).resolve().parent
_SDK_PATH = _HERE / "assets" / "orbit.js"
_WIDGETS_PATH = _HERE / "assets" / "orbit-widgets.js"
_RECOMMEND_PATH = _HERE / "assets" / "orbit-recommend.js"
_DEMO_DIR = _HERE / "demo"
_DEMO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|js|css)$")
_CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "application/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _demo_files() -> frozenset[str]:
    """The allow-list: bare names of the shipped demo files with an allowed extension."""
    return frozenset(p.name for p in _DEMO_DIR.iterdir() if p.is_file() and _DEMO_NAME.match(p.name))


def _not_found(what: str) -> Response:
    return Response(
        body=json.dumps(NotFound(f"{what} not found").as_body()),
        status_code=404,
        headers={"Content-Type": "application/json"},
    )


def _inject_site_key(html: str) -> str:
    # json.dumps gives a valid JS string literal; escape "<" so the key can never close the script tag.
    key = json.dumps(demo_site_key()).replace("<", "\\u003c")
    tag = f"<script>window.ORBIT_SITE_KEY={key};</script>"
    return html.replace("</head>", tag + "</head>", 1)


def _demo_file(name: str) -> Response:
    if not _DEMO_NAME.match(name) or name not in _demo_files():
        return _not_found("page")
    ext = name.rsplit(".", 1)[1]
    body = _read(_DEMO_DIR / name)
    if ext == "html":
        body = _inject_site_key(body)
    return Response(
        body=body,
        status_code=200,
        headers={"Content-Type": _CONTENT_TYPES[ext], "Cache-Control": "no-cache"},
    )


@api_route(
    bp,
    "/sdk/orbit.js",
    "GET",
    auth="none",
    tag="Web",
    raw_response="application/javascript",
    summary="The orbit.js tracking snippet",
)
def sdk(call: Call) -> Response:
    return _script(_SDK_PATH)


def _script(path: Path) -> Response:
    return Response(
        body=_read(path),
        status_code=200,
        headers={
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
        },
    )


@api_route(
    bp,
    "/sdk/orbit-widgets.js",
    "GET",
    auth="none",
    tag="Web",
    raw_response="application/javascript",
    summary="What draws on-site widgets (orbit.js loads it only on a page that has some)",
)
def sdk_widgets(call: Call) -> Response:
    return _script(_WIDGETS_PATH)


@api_route(
    bp,
    "/sdk/orbit-recommend.js",
    "GET",
    auth="none",
    tag="Web",
    raw_response="application/javascript",
    summary="What draws recommendation blocks (orbit.js loads it on a page's first block)",
)
def sdk_recommend(call: Call) -> Response:
    return _script(_RECOMMEND_PATH)


@api_route(bp, "/demo", "GET", auth="none", tag="Web", raw_response="text/html", summary="Demo shop home page")
def demo_index(call: Call) -> Response:
    # API Gateway and chalice local route "/demo/" here too; only the raw path in the request
    # context tells the two apart. Without it, serve the index rather than risk a redirect loop.
    raw_path = str((call.request.context or {}).get("path") or "")
    if raw_path and not raw_path.endswith("/"):
        # Relative Location keeps any stage prefix: /api/demo -> /api/demo/
        last = raw_path.rsplit("/", 1)[-1]
        return Response(body="", status_code=301, headers={"Location": f"{last}/"})
    return _demo_file("index.html")


@api_route(
    bp,
    "/demo/{page}",
    "GET",
    auth="none",
    tag="Web",
    raw_response="text/html",
    summary="A demo shop page or asset (allow-listed names only)",
)
def demo_page(call: Call) -> Response:
    return _demo_file(call.params["page"])


_LANDING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Orbit</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #222; }}
a {{ color: #0b5fff; }}
li {{ margin: .4rem 0; }}
code {{ background: #f3f3f3; padding: 0 .25rem; }}
</style>
</head>
<body>
<h1>Orbit</h1>
<p>A self-hostable Customer Data Platform. This is its HTTP API.</p>
<ul>
<li><a href="{base}docs">API reference</a> (<a href="{base}openapi.json">OpenAPI 3.1</a>)</li>
<li><a href="{base}demo/">Demo shop</a>, instrumented with <code>orbit.js</code></li>
<li><a href="{base}health">Health</a>: the API, the queues and, locally, the embedded AWS and the pollers</li>
</ul>
</body>
</html>
"""


@api_route(bp, "/", "GET", auth="none", tag="Web", raw_response="text/html", summary="Landing page with links")
def landing(call: Call) -> Response:
    # Links relative to the path the request came in on, so a stage prefix (/api/) is kept.
    raw_path = str((call.request.context or {}).get("path") or "/")
    base = raw_path if raw_path.endswith("/") else raw_path + "/"
    return Response(
        body=_LANDING.format(base=html.escape(base, quote=True)),
        status_code=200,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"},
    )
