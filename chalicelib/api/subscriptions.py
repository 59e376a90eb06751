"""Consent API: a contact's per-channel subscription status and subscription categories, and double opt-in
(``docs/consent.md``)."""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import Call, api_route
from chalicelib.api.messages import public_base
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.messaging.outbound import CHANNELS
from chalicelib.services import contacts
from chalicelib.services.messaging import consent as service
from chalicelib.services.messaging import optin
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Consent"
Status = Literal["subscribed", "unsubscribed"]


class ConsentView(BaseModel):
    externalId: str
    channels: dict[str, dict[str, Any]] = Field(
        description="Every channel: `status`, `at`, `source` (null: never set), `reason` and `suppressed` after a "
        "hard bounce or complaint"
    )
    categories: dict[str, dict[str, Any]] = Field(description="Subscription categories: `status`, `at`, `source`")


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[str, Status] = Field(default_factory=dict, description="channel -> status")
    categories: dict[str, Status] = Field(default_factory=dict, description="category -> status")
    source: str = Field(default="api", min_length=1, max_length=64, description="What asked (kept on each entry)")


def _view(external_id: str) -> ConsentView:
    rec = contacts.get(ports(), external_id)
    return ConsentView(externalId=external_id, **service.view(rec))


@api_route(
    bp,
    "/v1/contacts/{externalId}/consent",
    "GET",
    auth="secret",
    tag=TAG,
    response=ConsentView,
    summary="The contact's consent per channel and its subscription categories",
)
def get_consent(call: Call) -> ConsentView:
    return _view(call.params["externalId"])


@api_route(
    bp,
    "/v1/contacts/{externalId}/consent",
    "PUT",
    auth="secret",
    tag=TAG,
    body=ConsentIn,
    response=ConsentView,
    summary="Set consent on channels and categories (those not named are kept); announced so segments react",
)
def put_consent(call: Call) -> ConsentView:
    body = parse(ConsentIn, call.body)
    unknown = [c for c in body.channels if c not in CHANNELS]
    if unknown:
        raise InvalidInput(
            "Unknown channel", [ErrorDetail(f"channels.{c}", f"must be one of {', '.join(CHANNELS)}") for c in unknown]
        )
    bad = [c for c in body.categories if not c or len(c) > 64]
    if bad:
        raise InvalidInput("Bad category", [ErrorDetail(f"categories.{c}", "must be 1 to 64 characters") for c in bad])
    external_id = call.params["externalId"]
    rec = contacts.get(ports(), external_id)
    if service.update(ports(), rec.key, dict(body.channels), dict(body.categories), body.source) is None:
        raise NotFound(f"No contact with External ID {external_id!r}")
    return _view(external_id)


class SubscribeIn(BaseModel):
    """``POST /v1/subscribe`` from a site's form (``orbit.js``)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    channel: Literal["email", "sms"] | None = Field(default=None, description="Default: email when given, else sms")
    firstName: str | None = Field(default=None, max_length=100)
    lastName: str | None = Field(default=None, max_length=100)
    languageCode: str | None = Field(default=None, max_length=16)
    categories: list[str] = Field(default_factory=list, max_length=20, description="Subscribed on confirmation")
    writeKey: str | None = Field(default=None, description="Site key, when not sent as Basic username")


class SubscribeAccepted(BaseModel):
    accepted: bool = Field(
        default=True, description="Always true: the answer never tells whether the address was known or subscribed"
    )


@api_route(
    bp,
    "/v1/subscribe",
    "POST",
    auth="site",
    tag=TAG,
    body=SubscribeIn,
    response=SubscribeAccepted,
    status=202,
    content_types=("application/json", "text/plain"),
    cors=True,
    summary="Double opt-in from a site's form: an unconfirmed contact and a confirmation message with a signed link",
)
def subscribe(call: Call) -> Response:
    body = parse(SubscribeIn, call.body)
    if (body.email is None) == (body.phone is None):
        raise InvalidInput("Give an email or a phone", [ErrorDetail("email", "give exactly one of email or phone")])
    if any(not c or len(c) > 64 for c in body.categories):
        raise InvalidInput("Bad category", [ErrorDetail("categories", "each must be 1 to 64 characters")])
    optin.subscribe(
        ports(),
        optin.SubscribeRequest(
            channel=body.channel or ("email" if body.email else "sms"),
            email=body.email,
            phone=body.phone,
            first_name=body.firstName,
            last_name=body.lastName,
            language=body.languageCode,
            categories=list(dict.fromkeys(body.categories)),
            base_url=public_base(call, "/v1/subscribe"),
            site=call.origin,
        ),
    )
    return Response(body=SubscribeAccepted().model_dump(mode="json"), status_code=202)


PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
    "<title>{title}</title></head><body style='font-family:sans-serif;max-width:32rem;margin:4rem auto'>"
    "<h1>{title}</h1><p>{text}</p></body></html>"
)


@api_route(
    bp,
    "/v1/subscribe/confirm/{token}",
    "GET",
    auth="none",
    tag=TAG,
    raw_response="text/html",
    summary="The confirmation link: subscribes the contact (source `double-opt-in`) and shows a page",
)
def confirm(call: Call) -> Response:
    """Errors (a forged or expired link: 400; a contact gone: 404) leave in the API's JSON shape, as every error
    does."""
    optin.confirm(ports(), call.params["token"])
    page = PAGE.format(title="Subscribed", text="Thank you: your subscription is confirmed.")
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
