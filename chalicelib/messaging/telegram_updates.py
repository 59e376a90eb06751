"""What a Telegram Bot API update means to Orbit (the webhook's body: an ``Update`` object).

* a private ``message`` whose text is ``/start <code>``: link the chat to the contact the code stands for
  (``/start`` alone: the person pressed Start again, or unblocked the bot: subscribe a chat already linked);
* ``/stop``: unsubscribe the chat;
* ``my_chat_member`` whose ``new_chat_member.status`` is ``kicked``: the person blocked the bot (unsubscribed,
  reason ``blocked``).

Anything else (other messages, edits, group updates) means nothing here. Telegram has no delivery or read
receipts for bot messages, so no update counts ``delivered`` or ``opened``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["start", "stop", "blocked"]
BLOCKED = "blocked"  # the consent reason of a chat that blocked the bot


@dataclass(frozen=True)
class ChatUpdate:
    action: Action
    chat_id: str
    code: str | None = None  # the link code of ``/start <code>``


def _chat_id(section: Mapping[str, Any]) -> str | None:
    chat = section.get("chat")
    found = chat.get("id") if isinstance(chat, Mapping) else None
    if isinstance(found, bool) or not isinstance(found, int | str) or not str(found).strip():
        return None
    return str(found)


def parse(update: Any) -> ChatUpdate | None:
    """The update's meaning, None when it has none for Orbit."""
    if not isinstance(update, Mapping):
        return None
    member = update.get("my_chat_member")
    if isinstance(member, Mapping):
        new = member.get("new_chat_member")
        chat = _chat_id(member)
        if chat is not None and isinstance(new, Mapping) and new.get("status") == "kicked":
            return ChatUpdate("blocked", chat)
        return None
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None
    chat = _chat_id(message)
    text = message.get("text")
    if chat is None or not isinstance(text, str):
        return None
    command, _, rest = text.strip().partition(" ")
    command = command.split("@", 1)[0]  # /start@OrbitBot in a chat with several bots
    if command == "/start":
        return ChatUpdate("start", chat, rest.strip() or None)
    if command == "/stop":
        return ChatUpdate("stop", chat)
    return None
