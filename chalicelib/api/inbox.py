"""App inbox API: the shop's server gets a contact's inbox token (secret key); the shop's app lists, reads and hides
the contact's inbox messages with it (``Authorization: Bearer <token>``, no API key). docs/inbox.md."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.api.messages import public_base
from chalicelib.deps import ports
from chalicelib.ports import InboxItem
from chalicelib.services.messaging import inbox as service

bp = Blueprint(__name__)
TAG = "App inbox"
LIST_PATH = "/v1/inbox"
TOKEN_401 = {401: "No inbox token, or one that is not valid or has expired (`unauthorized`)"}
BUSY_503 = {503: "AWS was busy or unreachable (`retryable`); retry the request"}


class InboxTokenOut(BaseModel):
    externalId: str
    token: str = Field(description="Send as `Authorization: Bearer <token>` to the /v1/inbox routes")
    expiresAt: str = Field(description="ISO time; ask for a new token before then")


class InboxItemOut(BaseModel):
    messageId: str
    title: str
    body: str | None = None
    image: str | None = None
    link: str | None = Field(default=None, description="An http(s) link comes as a tracked link that redirects to it")
    createdAt: str
    expiresAt: str | None = Field(default=None, description="Not listed from then on (null: until deleted)")
    read: bool
    readAt: str | None = None

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemOut:
        return cls(
            messageId=item.message_id,
            title=item.title,
            body=item.body,
            image=item.image,
            link=item.link,
            createdAt=item.created_at,
            expiresAt=item.expires_at,
            read=item.read_at is not None,
            readAt=item.read_at,
        )


class InboxOut(BaseModel):
    items: list[InboxItemOut] = Field(description="Newest first; expired and deleted messages are not listed")
    unread: int = Field(description="Unread messages in the whole inbox (not just this page)")
    cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page (null: no more)")


@api_route(
    bp,
    "/v1/contacts/{externalId}/inbox-token",
    "POST",
    auth="secret",
    tag=TAG,
    response=InboxTokenOut,
    summary="A token for the contact's app inbox (valid 30 days), for the shop's app to call /v1/inbox with",
)
def inbox_token(call: Call) -> InboxTokenOut:
    issued = service.issue_token(ports(), call.params["externalId"])
    return InboxTokenOut(externalId=call.params["externalId"], token=issued.token, expiresAt=issued.expires_at)


@api_route(
    bp,
    LIST_PATH,
    "GET",
    auth="none",
    tag=TAG,
    response=InboxOut,
    query={"limit": "1-100 (default 20)", "cursor": "From the previous page"},
    errors={**TOKEN_401, **BUSY_503},
    summary="The inbox token's contact's messages, newest first, and the unread count (Authorization: Bearer)",
)
def list_inbox(call: Call) -> InboxOut:
    wired = ports()
    contact_key = service.contact_of(wired, call.request.headers.get("authorization"))
    limit = call.int_query("limit", 20, 1, 100)
    found = service.page(wired, contact_key, limit, call.query("cursor"), public_base(call, LIST_PATH))
    return InboxOut(items=[InboxItemOut.of(i) for i in found.items], unread=found.unread, cursor=found.cursor)


@api_route(
    bp,
    "/v1/inbox/{messageId}/read",
    "POST",
    auth="none",
    tag=TAG,
    response=InboxItemOut,
    errors={**TOKEN_401, **BUSY_503},
    summary="Mark a message read; the first time counts it opened (Message Opened). Authorization: Bearer",
)
def read_message(call: Call) -> InboxItemOut:
    wired = ports()
    contact_key = service.contact_of(wired, call.request.headers.get("authorization"))
    return InboxItemOut.of(service.read(wired, contact_key, call.params["messageId"]))


@api_route(
    bp,
    "/v1/inbox/{messageId}",
    "DELETE",
    auth="none",
    tag=TAG,
    status=204,
    errors={**TOKEN_401, **BUSY_503},
    summary="Delete a message from the inbox (it is no longer listed or counted). Authorization: Bearer",
)
def delete_message(call: Call) -> Response:
    wired = ports()
    contact_key = service.contact_of(wired, call.request.headers.get("authorization"))
    service.hide(wired, contact_key, call.params["messageId"])
    return Response(body="", status_code=204)
