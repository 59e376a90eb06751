"""Shared HTTP plumbing: declared routes, body parsing, auth, CORS, and the one error shape.

Every route is declared through ``api_route`` with the pydantic models it validates with; the
same declarations generate the OpenAPI document, so a route cannot exist without being described.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel

from chalicelib.auth import keys as keyrules
from chalicelib.auth.keys import ApiKey
from chalicelib.deps import ports
from chalicelib.errors import (
    ErrorDetail,
    InvalidInput,
    OrbitError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from chalicelib.services.keys import find_key

log = logging.getLogger("orbit.http")
Auth = Literal["secret", "site", "none"]
MAX_BODY_BYTES = 6 * 1024 * 1024
# Arrays and objects nest at most this deep in a JSON body. DynamoDB stores maps and lists at most 32
# levels deep and pydantic refuses to serialize far less than the ~1,000 levels json.loads reaches
# before a RecursionError, so anything deeper could only end in a 500; it is a 400 at the door instead.
MAX_JSON_DEPTH = 32
JSON_TYPES = ("application/json",)
# Content-Encoding a body may come in (Segment's libraries gzip when asked to); decoded before the size limit.
GZIP_ENCODINGS = ("gzip", "x-gzip")
GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 256 * 1024  # compressed bytes fed to zlib at a time
BODY_METHODS = ("POST", "PUT", "PATCH")
Headers = dict[str, str | list[str]]


@dataclass
class RouteSpec:
    path: str
    method: str
    auth: Auth
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)
    content_types: tuple[str, ...] = JSON_TYPES
    raw_response: str | None = None  # media type of a non-JSON response
    cors: bool = False
    also: tuple[int, ...] = ()  # further success statuses, e.g. 200 on a PUT that answers 201 when it creates
    errors: dict[int, str] = field(default_factory=dict)  # error statuses of the route's own, with their meaning

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every success status the route answers, the declared ``status`` first."""
        return (self.status, *(s for s in self.also if s != self.status))

    @property
    def takes_body(self) -> bool:
        return self.body is not None or self.method in BODY_METHODS


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """What a handler receives: the parsed request."""

    request: Request
    params: dict[str, str]
    body: Any
    key: ApiKey | None
    origin: str | None

    def query(self, name: str, default: str | None = None) -> str | None:
        params: Any = self.request.query_params or {}
        value = params.get(name)
        return value if isinstance(value, str) else default

    def expected_revision(self) -> int | None:
        """The revision an ``If-Match`` header names (None: no header), or a 400 naming the header."""
        wanted = self.request.headers.get("if-match")
        if wanted is None:
            return None
        try:
            return int(wanted.strip('"W/ '))
        except ValueError:
            raise InvalidInput("If-Match is invalid", [ErrorDetail("If-Match", "must be a revision number")]) from None

    def int_query(self, name: str, default: int, low: int, high: int) -> int:
        """An integer query parameter within [low, high], or a 400 naming it."""
        raw = self.query(name)
        try:
            value = int(raw) if raw is not None else default
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise InvalidInput(f"{name} is invalid", [ErrorDetail(name, f"must be an integer from {low} to {high}")])
        return value


def error_response(exc: OrbitError, headers: Headers | None = None) -> Response:
    return Response(body=exc.as_body(), status_code=exc.status, headers=dict(headers or {}))


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _encoding(request: Request) -> str | None:
    """The body's one content coding (``gzip``), ``None`` for none; any other is a 415."""
    header = request.headers.get("content-encoding") or ""
    codings = [c.strip().lower() for c in header.split(",") if c.strip().lower() not in ("", "identity")]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in GZIP_ENCODINGS:
        return "gzip"
    raise UnsupportedMediaType(
        "Content-Encoding must be gzip or identity",
        [ErrorDetail("Content-Encoding", f"got {header.strip()}")],
    )


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip ``data`` (one member or several, as ``cat a.gz b.gz``) incrementally, never holding more
    than ``limit`` + 1 bytes of output: a body that inflates past ``limit`` is a 413 as soon as it does (a
    decompression bomb costs the bytes up to the limit, not its full size), a corrupt one a 400."""
    out = bytearray()
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        if view[pos : pos + 2] != GZIP_MAGIC:
            raise _corrupt("data after the last gzip member is not gzip")
        inflater = zlib.decompressobj(wbits=31)  # 16 + MAX_WBITS: the gzip wrapper
        while not inflater.eof:
            step = view[pos : pos + _INFLATE_STEP]
            if not step:
                raise _corrupt("the gzip stream is truncated")
            pos += len(step)
            try:
                # at most one byte past the limit: enough to know it is too large
                out += inflater.decompress(step, limit + 1 - len(out))
            except zlib.error as exc:
                raise _corrupt(str(exc)) from None
            if len(out) > limit:
                raise PayloadTooLarge(
                    f"The body is larger than {limit} bytes once decompressed",
                    [ErrorDetail("Content-Encoding", f"gzip: inflates to more than {limit} bytes")],
                )
        pos -= len(inflater.unused_data)  # read past this member's end: the next member starts there
    return bytes(out)


def _corrupt(reason: str) -> InvalidInput:
    return InvalidInput("The request body is not valid gzip", [ErrorDetail("Content-Encoding", f"gzip, but {reason}")])


def read_body(request: Request, spec: RouteSpec) -> Any:
    body = request.raw_body or b""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes")
    # API Gateway inflates gzip bodies itself and leaves the header in place, so a body declared gzip that does
    # not start with gzip's magic bytes is taken as already decoded (and a 400 names Content-Encoding if it
    # then fails to parse).
    declared = _encoding(request)
    if declared and raw.startswith(GZIP_MAGIC):
        raw = gunzip(raw, MAX_BODY_BYTES)
        declared = None
    if spec.body is None and spec.content_types == JSON_TYPES and not raw:
        return None
    ctype = _content_type(request)
    if ctype not in spec.content_types:
        raise UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(spec.content_types)}",
            [ErrorDetail("Content-Type", f"got {ctype or 'nothing'}")],
        )
    if ctype not in ("application/json", "text/plain"):
        return raw
    if not raw:
        raise InvalidInput("The request body is empty", [ErrorDetail("$", "a JSON body is required")])
    try:
        value = json.loads(raw)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        problems = [ErrorDetail("$", str(exc))]
        if declared:
            problems.append(ErrorDetail("Content-Encoding", f"{declared}, but the body is neither gzip nor JSON"))
        raise InvalidInput("The request body is not valid JSON", problems) from exc
    if _nests_deeper(value, MAX_JSON_DEPTH):
        raise too_deep()
    return value


def too_deep() -> InvalidInput:
    return InvalidInput(
        "The request body is nested too deeply",
        [ErrorDetail("$", f"arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep")],
    )


def _nests_deeper(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` levels deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False


def authenticate(request: Request, spec: RouteSpec, body: Any) -> ApiKey | None:
    if spec.auth == "none":
        return None
    presented = keyrules.credentials(request.headers.get("authorization"))
    if not presented and spec.auth == "site" and isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        presented = [body["writeKey"]]
    return keyrules.require(find_key(ports(), presented), spec.auth)


def cors_headers(request: Request, key: ApiKey | None) -> Headers:
    origin = request.headers.get("origin")
    if not origin or key is None or not keyrules.origin_allowed(key, origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def preflight(request: Request) -> Response:
    """Answer CORS preflights for any origin that asks; the real call checks the site key's origins."""
    origin = request.headers.get("origin")
    headers: Headers = {"Vary": "Origin"}
    if origin:
        headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
    return Response(body="", status_code=204, headers=headers)


def _to_response(result: Any, spec: RouteSpec, headers: Headers) -> Response:
    if isinstance(result, Response):
        result.headers.update(headers)
        return result
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return Response(body=result, status_code=spec.status, headers=headers)


def api_route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    auth: Auth,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: dict[str, str] | None = None,
    content_types: tuple[str, ...] = JSON_TYPES,
    raw_response: str | None = None,
    cors: bool = False,
    also: tuple[int, ...] = (),
    errors: dict[int, str] | None = None,
) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    """Declare a route. ``status`` is its success status; ``also`` lists any further ones (a PUT that
    answers 201 when it creates and 200 when it updates declares ``status=201, also=(200,)``), so the
    OpenAPI document lists every status the route answers; ``errors`` adds error statuses only this route
    answers (e.g. ``/health``'s 503)."""
    spec = RouteSpec(
        path,
        method,
        auth,
        summary,
        tag,
        body,
        response,
        status,
        query or {},
        content_types,
        raw_response,
        cors,
        also,
        errors or {},
    )
    ROUTES.append(spec)

    def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
        methods = [method, "OPTIONS"] if cors else [method]

        def view(**params: str) -> Response:
            request = bp.current_request
            if cors and request.method == "OPTIONS":
                return preflight(request)
            headers: Headers = {}
            try:
                origin = request.headers.get("origin")
                if cors and origin:
                    # echo the origin on errors too (no credentials are ever allowed), so a
                    # browser client sees a 4xx and drops the batch instead of retrying
                    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
                key = authenticate(request, spec, None) if spec.auth == "secret" else None
                parsed = read_body(request, spec) if method in BODY_METHODS else None
                if spec.auth == "site":
                    key = authenticate(request, spec, parsed)
                if cors:
                    headers = cors_headers(request, key) or headers
                    if key is not None and not keyrules.origin_allowed(key, origin):
                        raise OrbitError(
                            "This site key does not allow this origin",
                            [ErrorDetail("Origin", str(origin))],
                            403,
                            "forbidden",
                        )
                result = handler(Call(request, params, parsed, key, origin))
                return _to_response(result, spec, headers)
            except RecursionError:
                # input nested too deeply for some parser past the body's (a line of a JSON-lines feed)
                log.warning("%s %s: input nested too deeply", method, path)
                return error_response(too_deep(), headers)
            except OrbitError as exc:
                if exc.status >= 500:
                    log.error("%s %s failed: %s", method, path, exc.message)
                return error_response(exc, headers)

        view.__name__ = f"{handler.__name__}_{method.lower()}"
        bp.route(path, methods=methods, content_types=["*/*"], name=view.__name__)(view)
        return handler

    return register
