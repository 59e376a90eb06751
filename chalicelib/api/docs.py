"""Service routes: the OpenAPI document, the docs page, and a health check."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.http import Call, api_route
from chalicelib.api.openapi import docs_page, document

bp = Blueprint(__name__)


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
    return document()


@api_route(bp, "/docs", "GET", auth="none", tag="Service", summary="Readable API reference", raw_response="text/html")
def docs(call: Call) -> Response:
    return Response(body=docs_page(document()), headers={"Content-Type": "text/html; charset=utf-8"})


@api_route(bp, "/health", "GET", auth="none", tag="Service", response=Health, summary="Liveness")
def health(call: Call) -> Health:
    return Health(status="ok")
