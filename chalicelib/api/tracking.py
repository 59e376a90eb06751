"""Tracking API, compatible with Segment's HTTP API: site key, CORS limited to the site's origins."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.services.ingest import accept_tracked
from chalicelib.tracking.mapping import map_batch, map_call

bp = Blueprint(__name__)
TAG = "Tracking"
CONTENT = ("application/json", "text/plain")


class TrackingCall(BaseModel):
    """One Segment call. Unknown fields are ignored, as Segment's clients send extras."""

    model_config = ConfigDict(extra="allow")

    userId: str | None = None
    anonymousId: str | None = None
    previousId: str | None = Field(default=None, description="alias: the anonymous id being merged")
    event: str | None = Field(default=None, description="track: the event name")
    name: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    messageId: str | None = Field(default=None, description="Idempotency key")
    timestamp: str | None = None
    sentAt: str | None = None
    context: dict[str, Any] | None = None
    writeKey: str | None = Field(default=None, description="Site key, when not sent as Basic username")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: list[dict[str, Any]]
    sentAt: str | None = None
    writeKey: str | None = None


class TrackingAccepted(BaseModel):
    success: bool = True
    accepted: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)


def _single(call: Call, kind: str) -> TrackingAccepted:
    if not isinstance(call.body, dict):
        raise InvalidInput("The request body must be a JSON object", [ErrorDetail("$", "must be an object")])
    body = {**call.body, "type": call.body.get("type") or kind}
    body.pop("writeKey", None)
    outputs = map_call(body, received_at=ports().clock.now())
    return TrackingAccepted(accepted=accept_tracked(ports(), outputs))


def _route(kind: str, summary: str) -> None:
    def handler(call: Call) -> TrackingAccepted:
        return _single(call, kind)

    handler.__name__ = f"segment_{kind}"
    api_route(
        bp,
        f"/v1/{kind}",
        "POST",
        auth="site",
        tag=TAG,
        body=TrackingCall,
        response=TrackingAccepted,
        content_types=CONTENT,
        cors=True,
        summary=summary,
    )(handler)


_route("track", "Segment track: an event with properties")
_route("identify", "Segment identify: traits for a user; merges the anonymous visitor into them")
_route("page", "Segment page: a page view")
_route("alias", "Segment alias: previousId (anonymous) becomes userId")


@api_route(
    bp,
    "/v1/batch",
    "POST",
    auth="site",
    tag=TAG,
    body=BatchRequest,
    response=TrackingAccepted,
    content_types=CONTENT,
    cors=True,
    summary="Segment batch: up to 500 calls; bad calls are reported, not fatal, unless every call is bad (400)",
)
def segment_batch(call: Call) -> TrackingAccepted:
    if not isinstance(call.body, dict):
        raise InvalidInput("The request body must be a JSON object", [ErrorDetail("$", "must be an object")])
    outputs, rejected = map_batch(call.body, received_at=ports().clock.now())
    return TrackingAccepted(accepted=accept_tracked(ports(), outputs, rejected), rejected=rejected)
