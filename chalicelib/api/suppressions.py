"""Suppressions API: the stage's suppressed email addresses and phone numbers, listed, added and lifted by operators
(secret key). docs/consent.md, "Suppressed addresses"."""

from __future__ import annotations

from urllib.parse import unquote

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.messaging.address_suppressions import AddressSuppression
from chalicelib.services.messaging import suppressions
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Consent"
ONE = "/v1/suppressions/{channel}/{address}"


class SuppressIn(BaseModel):
    """``PUT /v1/suppressions/{channel}/{address}``."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, description="Why no message may go to the address")


class SuppressionOut(BaseModel):
    channel: str = Field(description="`email` or `sms`")
    address: str = Field(description="Normalised: a lower-case email address or an E.164 phone number")
    reason: str
    source: str = Field(description="`api`, or `ses` for a bounce or complaint")
    at: str = Field(description="When it was added (ISO)")


class SuppressionsOut(BaseModel):
    items: list[SuppressionOut] = Field(description="In address order")
    cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page (null: no more)")


class LiftedOut(BaseModel):
    lifted: SuppressionOut = Field(description="The entry as it was")


def shown(entry: AddressSuppression) -> SuppressionOut:
    return SuppressionOut(
        channel=entry.channel, address=entry.address, reason=entry.reason, source=entry.source, at=entry.at
    )


@api_route(
    bp,
    "/v1/suppressions",
    "GET",
    auth="secret",
    tag=TAG,
    response=SuppressionsOut,
    query={"channel": "`email` (default) or `sms`", "limit": "1-200 (default 50)", "cursor": "From the previous page"},
    summary="The suppressed addresses of a channel: no message goes to them, whoever holds them",
)
def list_suppressions(call: Call) -> SuppressionsOut:
    entries, cursor = suppressions.listing(
        ports(), call.query("channel") or "email", call.int_query("limit", 50, 1, 200), call.query("cursor")
    )
    return SuppressionsOut(items=[shown(e) for e in entries], cursor=cursor)


@api_route(
    bp,
    ONE,
    "PUT",
    auth="secret",
    tag=TAG,
    body=SuppressIn,
    response=SuppressionOut,
    summary="Suppress an address (an email address, or a phone number for `sms`): its messages fail `suppressed`",
)
def put_suppression(call: Call) -> SuppressionOut:
    body = parse(SuppressIn, call.body)
    entry = suppressions.suppress(ports(), call.params["channel"], unquote(call.params["address"]), body.reason)
    return shown(entry)


@api_route(
    bp,
    ONE,
    "DELETE",
    auth="secret",
    tag=TAG,
    response=LiftedOut,
    errors={404: "The address is not suppressed (`not_found`)"},
    summary="Lift a suppression: messages go to the address again",
)
def delete_suppression(call: Call) -> LiftedOut:
    entry = suppressions.lift(ports(), call.params["channel"], unquote(call.params["address"]))
    return LiftedOut(lifted=shown(entry))
