"""Service routes: the OpenAPI document, the docs page, and a health check.

``/health`` reports its parts: the API itself, each stream's queue and dead-letter queue (through the
``QueueStatus`` port), and whatever a host registered with :func:`register_health` (the local runtime adds the
embedded AWS, its pollers and its scheduler; on Lambda there is nothing more to add). Any part ``degraded``
makes the whole ``degraded`` and the answer a 503 in the one error shape (code ``degraded``, a detail per
degraded part), so a monitor needs only the status code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.http import ROUTES, Call, api_route
from chalicelib.api.openapi import docs_page, document
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, OrbitError
from chalicelib.services import queues

log = logging.getLogger("orbit.health")
OK, DEGRADED = "ok", "degraded"
HealthCheck = Callable[[], dict[str, Any]]  # a part's report: {"status": "ok" | "degraded", ...details}
_CHECKS: dict[str, HealthCheck] = {}


def register_health(name: str, check: HealthCheck | None) -> None:
    """Add (or, with None, remove) a part of ``/health``; a check that raises reports its part degraded."""
    if check is None:
        _CHECKS.pop(name, None)
    else:
        _CHECKS[name] = check


bp = Blueprint(__name__)


# Built on the first request for them, never at import (every cold start imports this module), then kept for
# as long as the declared routes stay the same (the argument is their number).
@lru_cache(maxsize=1)
def _document(routes: int) -> dict[str, Any]:
    return document()


@lru_cache(maxsize=1)
def _page(routes: int) -> str:
    return docs_page(_document(routes))


class Health(BaseModel):
    status: str
    parts: dict[str, dict[str, Any]]


@api_route(
    bp,
    "/openapi.json",
    "GET",
    auth="none",
    tag="Service",
    summary="This API's OpenAPI 3.1 document",
    raw_response="application/json",
)
def openapi(call: Call) -> dict[str, Any]:
    return _document(len(ROUTES))


@api_route(bp, "/docs", "GET", auth="none", tag="Service", summary="Readable API reference", raw_response="text/html")
def docs(call: Call) -> Response:
    return Response(body=_page(len(ROUTES)), headers={"Content-Type": "text/html; charset=utf-8"})


def _queues() -> dict[str, Any]:
    try:
        found = queues.status(ports())
    except OrbitError as exc:
        return {"status": DEGRADED, "error": exc.message}
    return {"status": OK, **{stream: queues.as_json(state) for stream, state in found.items()}}


def _checked(name: str, check: HealthCheck) -> dict[str, Any]:
    try:
        part = dict(check())
    except Exception as exc:  # noqa: BLE001 - a broken check is a degraded part, never a 500
        log.warning("health check %s failed: %s", name, exc)
        return {"status": DEGRADED, "error": str(exc)}
    part.setdefault("status", OK)
    return part


def report() -> Health:
    """Every part's report, and the overall status."""
    parts: dict[str, dict[str, Any]] = {"api": {"status": OK}}
    parts.update((name, _checked(name, check)) for name, check in list(_CHECKS.items()))
    parts["queues"] = _queues()
    overall = DEGRADED if any(part.get("status") != OK for part in parts.values()) else OK
    return Health(status=overall, parts=parts)


@api_route(
    bp,
    "/health",
    "GET",
    auth="none",
    tag="Service",
    response=Health,
    errors={503: "Degraded (`degraded`): `details` names each part that is not ok"},
    summary="Health: the API, the queues and (locally) the embedded AWS, pollers and scheduler; 503 when degraded",
)
def health(call: Call) -> Response:
    found = report()
    if found.status != OK:
        degraded = [(name, part) for name, part in found.parts.items() if part.get("status") != OK]
        raise OrbitError(
            f"Orbit is degraded: {', '.join(name for name, _ in degraded)}",
            [ErrorDetail(f"parts.{name}", _summary(part)) for name, part in degraded],
            503,
            DEGRADED,
        )
    return Response(
        body=json.dumps(found.model_dump(mode="json")),
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _summary(part: dict[str, Any]) -> str:
    if "error" in part:
        return str(part["error"])
    return ", ".join(f"{key} {value}" for key, value in part.items() if key != "status") or DEGRADED
