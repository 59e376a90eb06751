"""Deep links that link a contact's Telegram chat or Viber user (``docs/providers.md``, Telegram and Viber)."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.messaging.chat_links import LINK_DAYS, TELEGRAM, VIBER
from chalicelib.services.messaging import chat_links

bp = Blueprint(__name__)
TAG = "Contacts"


class ChatLinkOut(BaseModel):
    url: str = Field(description="The link to give the contact (a button, a QR code, a message on another channel)")
    code: str = Field(description="The one-time link code the URL carries")
    expiresAt: str = Field(description=f"When the code stops linking ({LINK_DAYS} days after it was made)")


def _link(call: Call, channel: str) -> ChatLinkOut:
    made = chat_links.make_link(ports(), call.params["externalId"], channel)
    return ChatLinkOut(url=made.url, code=made.code, expiresAt=made.expires_at)


@api_route(
    bp,
    "/v1/contacts/{externalId}/telegram-link",
    "POST",
    auth="secret",
    tag=TAG,
    response=ChatLinkOut,
    status=201,
    summary="A t.me deep link: when the contact presses Start, the bot's chat becomes its telegram identifier",
)
def telegram_link(call: Call) -> ChatLinkOut:
    return _link(call, TELEGRAM)


@api_route(
    bp,
    "/v1/contacts/{externalId}/viber-link",
    "POST",
    auth="secret",
    tag=TAG,
    response=ChatLinkOut,
    status=201,
    summary="A viber:// deep link: when the contact opens the chat, its Viber user becomes its viber identifier",
)
def viber_link(call: Call) -> ChatLinkOut:
    return _link(call, VIBER)
