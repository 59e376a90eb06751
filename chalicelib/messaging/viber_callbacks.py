"""Viber REST bot API callbacks: checking their signature and what each means to Orbit.

Viber signs every callback: ``X-Viber-Content-Signature`` is the hex HMAC-SHA256 of the raw body under the bot's
auth token. The events (``event``), with ``timestamp`` in epoch milliseconds:

* ``webhook``: Viber checking the URL while ``set_webhook`` runs (answered 200, nothing done);
* ``delivered`` / ``seen`` / ``failed`` (``desc``): about the message whose ``message_token`` the send returned;
* ``subscribed`` (``user.id``) / ``unsubscribed`` (``user_id``): the person's subscription to the bot;
* ``conversation_started`` (``user.id``, ``context``, ``subscribed``): the person opened the chat, through a
  ``viber://pa?chatURI=...&context=<code>`` link when ``context`` holds a link code.

Other events (``message``, ``client_status`` ...) mean nothing here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import iso

MESSAGE_EVENTS = ("delivered", "seen", "failed")
USER_EVENTS = ("subscribed", "unsubscribed", "conversation_started")
PING = "webhook"


def signature(token: str, body: bytes) -> str:
    """What Viber puts in ``X-Viber-Content-Signature`` for ``body``."""
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed(token: str, body: bytes, presented: str | None) -> bool:
    """Whether ``presented`` is the body's signature under ``token`` (constant time)."""
    return bool(presented) and hmac.compare_digest(signature(token, body), str(presented).strip().lower())


@dataclass(frozen=True)
class ViberEvent:
    event: str
    at: str | None = None  # ISO time of ``timestamp``
    message_token: str | None = None
    user_id: str | None = None
    context: str | None = None
    description: str | None = None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        return None
    return str(value)


def _at(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return iso(moment)


def parse(body: Any) -> ViberEvent | None:
    """The callback's meaning, None when it has none for Orbit (an unknown event or one missing what it needs)."""
    if not isinstance(body, Mapping):
        return None
    event = body.get("event")
    at = _at(body.get("timestamp"))
    if event == PING:
        return ViberEvent(PING, at)
    user = body.get("user")
    user_id = _text(user.get("id")) if isinstance(user, Mapping) else _text(body.get("user_id"))
    if event in MESSAGE_EVENTS:
        token = _text(body.get("message_token"))
        if token is None:
            return None
        desc = body.get("desc")
        return ViberEvent(str(event), at, token, user_id, description=str(desc) if desc else None)
    if event in USER_EVENTS and user_id is not None:
        context = _text(body.get("context"))
        return ViberEvent(str(event), at, _text(body.get("message_token")), user_id, context=context)
    return None
