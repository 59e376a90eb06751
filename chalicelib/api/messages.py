"""Messages API: send one template to one contact, read a message, the sandbox's outbox, and the links in messages
(open pixel, click redirect, unsubscribe) that recipients follow (docs/messages.md)."""

from __future__ import annotations

import base64
import html
import uuid
from email import policy as email_policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.api.http import Call, api_route
from chalicelib.contacts import keys
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, NotFound
from chalicelib.messaging.ledger import api_origin
from chalicelib.messaging.outbound import COUNTERS, SANDBOX, Message, OutboxItem
from chalicelib.services import contacts
from chalicelib.services.messaging import tracking
from chalicelib.services.messaging.send import SendRequest, send
from chalicelib.validation import Email, LanguageCode, Phone, parse

bp = Blueprint(__name__)
TAG = "Messages"
SEND_PATH = "/v1/messages/send"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1x1 transparent GIF
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


class SendIn(BaseModel):
    """``POST /v1/messages/send``: one template to one contact, as eSputnik's smartsend."""

    model_config = ConfigDict(extra="forbid")

    templateId: str = Field(min_length=1, max_length=64)
    externalId: str | None = Field(default=None, min_length=1, max_length=256, description="The contact")
    email: Email | None = Field(default=None, description="Or the contact holding this email")
    phone: Phone | None = Field(default=None, description="Or the contact holding this phone")
    data: dict[str, Any] = Field(default_factory=dict, description="What the template reads as `vars`")
    languageCode: LanguageCode | None = Field(default=None, description="The language version (else the contact's)")
    externalRequestId: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description=(
            "Idempotency key: a request repeating it for the same contact gets the first request's message back"
            " (200) and sends nothing"
        ),
    )

    @model_validator(mode="after")
    def _recipient(self) -> SendIn:
        if sum(v is not None for v in (self.externalId, self.email, self.phone)) != 1:
            raise ValueError("give exactly one of externalId, email or phone")
        return self


class MessageOut(BaseModel):
    id: str
    status: str = Field(description="`pending`, `sending`, `sent` or `failed`")
    channel: str
    externalId: str | None
    templateId: str
    transactional: bool
    language: str | None = None
    failure: str | None = Field(
        default=None,
        description="Why it failed: unsubscribed, unreachable, template, refused, interrupted, unconfigured",
    )
    reason: str | None = Field(default=None, description="The failure in words (a template's error, a provider's)")
    provider: str | None = None
    providerId: str | None = None
    externalRequestId: str | None = None
    createdAt: str
    sentAt: str | None = None
    updatedAt: str
    counters: dict[str, int] = Field(description="delivered, opened, clicked, unsubscribed, bounced, complained")
    firstAt: dict[str, str] = Field(description="The first time each counter moved")


class SentOut(MessageOut):
    repeated: bool = Field(description="The `externalRequestId` was seen before: this is that request's message")


class OutboxEntry(BaseModel):
    messageId: str
    channel: str
    externalId: str | None
    templateId: str
    to: dict[str, Any]
    content: dict[str, Any]
    headers: dict[str, str]
    language: str | None = None
    createdAt: str
    sentAt: str
    providerId: str


class OutboxOut(BaseModel):
    items: list[OutboxEntry] = Field(description="Newest first")
    cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page (null: no more)")


def shown(message: Message) -> dict[str, Any]:
    return MessageOut(
        id=message.id,
        status=message.status,
        channel=message.channel,
        externalId=keys.external_id(message.contact_key),
        templateId=message.template_id,
        transactional=message.transactional,
        language=message.language,
        failure=message.failure,
        reason=message.reason,
        provider=message.provider,
        providerId=message.provider_id,
        externalRequestId=message.external_request_id,
        createdAt=message.created_at,
        sentAt=message.sent_at,
        updatedAt=message.updated_at,
        counters={c: message.counters.get(c, 0) for c in COUNTERS},
        firstAt=dict(message.first),
    ).model_dump(mode="json")


def outbox_entry(item: OutboxItem) -> OutboxEntry:
    m = item.message
    return OutboxEntry(
        messageId=m.message_id,
        channel=m.channel,
        externalId=keys.external_id(m.contact_key),
        templateId=m.template_id,
        to=m.to,
        content=m.content,
        headers=m.headers,
        language=m.language,
        createdAt=m.created_at,
        sentAt=item.sent_at,
        providerId=item.provider_id,
    )


def public_base(call: Call, route_path: str) -> str:
    """The API's public URL as this request reached it (scheme, host and any stage prefix): where the links of a
    message sent by this request point, unless ``ORBIT_PUBLIC_URL`` says otherwise."""
    headers = call.request.headers
    host = headers.get("host") or "localhost"
    scheme = (headers.get("x-forwarded-proto") or "http").split(",")[0].strip()
    raw_path = str((call.request.context or {}).get("path") or "")
    prefix = raw_path[: -len(route_path)] if raw_path.endswith(route_path) else ""
    return f"{scheme}://{host}{prefix.rstrip('/')}"


@api_route(
    bp,
    SEND_PATH,
    "POST",
    auth="secret",
    tag=TAG,
    body=SendIn,
    response=SentOut,
    status=201,
    also=(200,),
    errors={404: "No such contact (`externalId`, `email`, `phone`) or template (`not_found`)"},
    summary=(
        "Send one template to one contact now (transactional: no frequency caps, but never to an unsubscribed"
        " channel); 200 with the first message when `externalRequestId` repeats"
    ),
)
def send_message(call: Call) -> Response:
    body = parse(SendIn, call.body)
    wired = ports()
    if body.externalId is not None:
        record = contacts.get(wired, body.externalId)
    else:
        _, found = contacts.find(wired, body.email, body.phone)
        if found is None:
            attr = "email" if body.email else "phone"
            raise NotFound(f"No contact holds this {attr}", [ErrorDetail(attr, "is held by no contact")])
        record = found
    request_id = body.externalRequestId or f"anonymous:{uuid.uuid4().hex}"  # no key: every request sends
    sent = send(
        wired,
        SendRequest(
            contact_key=record.key,
            template_id=body.templateId,
            origin=api_origin(request_id),
            transactional=True,
            data=body.data,
            language=body.languageCode,
            external_request_id=body.externalRequestId,
            base_url=public_base(call, SEND_PATH),
        ),
    )
    return Response(body={**shown(sent.message), "repeated": sent.repeated}, status_code=200 if sent.repeated else 201)


@api_route(
    bp,
    "/v1/messages/{messageId}",
    "GET",
    auth="secret",
    tag=TAG,
    response=MessageOut,
    summary="A message: its status, failure reason, provider id and counters (delivered, opened, clicked ...)",
)
def get_message(call: Call) -> dict[str, Any]:
    found = ports().messages.message(call.params["messageId"])
    if found is None:
        raise NotFound(f"No message {call.params['messageId']!r}")
    return shown(found)


def sandboxed() -> bool:
    """Whether the sandbox sends on some channel of this stage (the outbox exists only then)."""
    return SANDBOX in ports().senders.providers().values()


@api_route(
    bp,
    "/v1/outbox",
    "GET",
    auth="secret",
    tag=TAG,
    response=OutboxOut,
    query={
        "channel": "Only this channel's messages",
        "externalId": "Only this contact's messages",
        "limit": "1-200 (default 50)",
        "cursor": "From the previous page",
    },
    errors={404: "The sandbox sends on no channel of this stage (`not_found`)"},
    summary="What the sandbox sent (local and sandbox stages only): every message as its recipient gets it",
)
def outbox(call: Call) -> OutboxOut:
    if not sandboxed():
        raise NotFound("This stage sends through providers: it has no sandbox outbox")
    limit = call.int_query("limit", 50, 1, 200)
    external_id = call.query("externalId")
    channel = call.query("channel")
    items, cursor = ports().messages.outbox(
        limit,
        call.query("cursor"),
        channel=channel or None,
        contact_key=keys.known(external_id) if external_id else None,
    )
    return OutboxOut(items=[outbox_entry(i) for i in items], cursor=cursor)


# --- links in messages ------------------------------------------------------------------------------------------


@api_route(bp, "/t/o/{token}", "GET", auth="none", tag=TAG, raw_response="image/gif", summary="Open pixel")
def open_pixel(call: Call) -> Response:
    tracking.opened(ports(), call.params["token"])
    return Response(body=PIXEL, headers={"Content-Type": "image/gif", **NO_STORE})


@api_route(
    bp,
    "/t/c/{token}",
    "GET",
    auth="none",
    tag=TAG,
    status=302,
    raw_response="text/html",
    summary="A tracked link: counts the click, then redirects to the address the link was signed with",
)
def click(call: Call) -> Response:
    url = tracking.clicked(ports(), call.params["token"])  # BadLink: a 404, and no redirect
    return Response(body="", status_code=302, headers={"Location": url, **NO_STORE, "Referrer-Policy": "no-referrer"})


def page(title: str, body: str) -> Response:
    """A small page for a message's recipient (errors leave in the API's JSON shape, as every error does)."""
    document = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(title)}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }}
button {{ font: inherit; padding: .5rem 1.2rem; border-radius: 6px; border: 1px solid #0b5fff; cursor: pointer; }}
.primary {{ background: #0b5fff; color: #fff; }}
.secondary {{ background: #fff; color: #0b5fff; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{body}
</body>
</html>
"""
    return Response(
        body=document,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "X-Frame-Options": "DENY",
            **NO_STORE,
        },
    )


def _form(state: tracking.Unsubscribe) -> str:
    channel = html.escape(state.channel)
    if not state.live:
        return "<p>This unsubscribe link has expired. Use the link in a more recent message.</p>"
    if state.unsubscribed:
        return (
            f"<p id='state'>You are unsubscribed from {channel} messages.</p>"
            "<form method='post'><input type='hidden' name='action' value='resubscribe'>"
            "<button class='secondary' type='submit'>Subscribe again</button></form>"
        )
    return (
        f"<p id='state'>Stop receiving {channel} messages?</p>"
        "<form method='post'><input type='hidden' name='action' value='unsubscribe'>"
        "<button class='primary' type='submit'>Unsubscribe</button></form>"
    )


@api_route(
    bp,
    "/u/{token}",
    "GET",
    auth="none",
    tag=TAG,
    raw_response="text/html",
    summary="Unsubscribe page of a message's link: asks before unsubscribing (link scanners only GET)",
)
def unsubscribe_page(call: Call) -> Response:
    return page("Unsubscribe", _form(tracking.unsubscribe_link(ports(), call.params["token"])))


def _form_fields(call: Call) -> dict[str, str]:
    """The posted form's fields (url-encoded or multipart), first value of each."""
    raw = call.body if isinstance(call.body, bytes) else b""
    content_type = call.request.headers.get("content-type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        parsed = BytesParser(policy=email_policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
        )
        found: dict[str, str] = {}
        for part in parsed.iter_parts() if parsed.is_multipart() else ():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                found.setdefault(name, payload.decode("utf-8", errors="replace"))
        return found
    pairs = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in pairs.items()}


@api_route(
    bp,
    "/u/{token}",
    "POST",
    auth="none",
    tag=TAG,
    content_types=FORM_TYPES,
    raw_response="text/html",
    summary=(
        "Unsubscribe: a mail client's one-click request (RFC 8058, `List-Unsubscribe=One-Click`) or the page's"
        " button; `action=resubscribe` subscribes again"
    ),
)
def unsubscribe(call: Call) -> Response:
    fields = _form_fields(call)
    token = call.params["token"]
    if fields.get("action") == "resubscribe":
        state = tracking.resubscribe(ports(), token)
    else:
        one_click = fields.get("List-Unsubscribe") == "One-Click"
        state = tracking.unsubscribe(ports(), token, "one-click" if one_click else "link")
    return page("Unsubscribed" if state.unsubscribed else "Subscribed", _form(state))
