"""Linking a Telegram chat or a Viber user to a contact: link codes and the deep links that carry them.

A contact's chat is only known once the person opens the bot, so Orbit hands out a link that carries a one-time
*link code*: ``https://t.me/<bot>?start=<code>`` (Telegram delivers ``/start <code>`` to the webhook) or
``viber://pa?chatURI=<uri>&context=<code>`` (Viber's ``conversation_started`` carries it as ``context``).

The code is random (``CODE_BYTES`` of entropy, 32 base64url characters) and stored with the contact key it
stands for (``MessageStore.remember_link_code``) until it expires (``LINK_DAYS``). A token signing the contact key
and expiry would need no storage, but Telegram's ``start`` parameter is at most 64 characters of
``[A-Za-z0-9_-]``: an External ID alone may be 256, and a MAC takes 22 more, so a signed token does not fit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

TELEGRAM = "telegram"
VIBER = "viber"
LINKED_CHANNELS = (TELEGRAM, VIBER)
CODE_BYTES = 24  # 32 characters of base64url
LINK_DAYS = 7
CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # Telegram's start parameter alphabet and limit
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


@dataclass(frozen=True)
class LinkCode:
    """A link code: the contact it links, the channel it was made for and when it stops working (epoch s)."""

    code: str
    contact_key: str
    channel: str
    expires: int

    def live(self, now: datetime) -> bool:
        return now.timestamp() < self.expires


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def is_code(text: str) -> bool:
    return bool(CODE.match(text))


def telegram_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot and sends ``/start <code>`` when the person presses Start."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def viber_link(chat_uri: str, code: str) -> str:
    """The deep link that opens the bot's chat with ``code`` as the ``conversation_started`` context."""
    return "viber://pa?" + urlencode({"chatURI": chat_uri, "context": code}, quote_via=quote)


def with_identifier(channels: list[dict[str, object]], channel: str, value: str) -> list[dict[str, object]] | None:
    """The contact's channel identifiers with ``value`` as its latest active ``channel`` identifier (the one a
    message goes to); None when it already is."""
    current = [c for c in channels if c.get("type") == channel and c.get("active", True) is not False]
    if current and str(current[-1].get("value")) == value:
        return None
    kept = [c for c in channels if not (c.get("type") == channel and str(c.get("value")) == value)]
    return [*kept, {"type": channel, "value": value, "active": True}]
