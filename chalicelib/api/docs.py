"""Service routes: the OpenAPI document, the docs page, and a health check."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.http import ROUTES, Call, api_route
from chalicelib.api.openapi import docs_page, document

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


@api_route(bp, "/health", "GET", auth="none", tag="Service", response=Health, summary="Liveness")
def health(call: Call) -> Health:
    return Health(status="ok")
