"""Telegram through the Bot API: ``sendMessage`` (``text``, ``parse_mode``, an inline keyboard of URL buttons),
or ``sendPhoto`` when the content has an ``image`` (the text becomes its caption, up to 1,024 characters).

The bot token (``ORBIT_TELEGRAM_BOT_TOKEN``, a reference: see ``secrets.py``) is part of the URL
(``{base}/bot{token}/sendMessage``), so URLs are never logged. The recipient is the contact's ``telegram``
identifier (the chat id). The answer's ``result.message_id`` (with the chat id) is the provider id.

Telegram answers ``{"ok": false, "error_code", "description"}``: 400 (chat not found) and 403 (the user blocked the
bot) are Permanent with the description; 429 (``retry_after``) and 5xx Retryable. Not idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers import http_post
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import credential

NAME = "telegram"
CAPTION = 1024


def request_for(message: Outgoing) -> tuple[str, dict[str, Any]]:
    """The Bot API method and its JSON body for a rendered telegram message."""
    chat = message.to.get("value")
    if not isinstance(chat, str | int) or not str(chat).strip():
        raise Permanent("The message has no Telegram chat id")
    content = message.content
    body: dict[str, Any] = {"chat_id": chat}
    text = str(content.get("text") or "")
    if content.get("parseMode"):
        body["parse_mode"] = content["parseMode"]
    buttons = content.get("buttons")
    if buttons:
        body["reply_markup"] = {
            "inline_keyboard": [[{"text": str(b["text"]), "url": str(b["url"])} for b in row] for row in buttons]
        }
    image = content.get("image")
    if image:
        if len(text) > CAPTION:
            raise Permanent(f"A Telegram photo's caption is at most {CAPTION} characters")
        body.update(photo=str(image), caption=text) if text else body.update(photo=str(image))
        return "sendPhoto", body
    if not text:
        raise Permanent("The Telegram message has no text")
    body["text"] = text
    return "sendMessage", body


class TelegramSender(ProviderSender):
    """``Sender`` for the telegram channel through the Bot API."""

    name = NAME

    def send(self, message: Outgoing) -> SendResult:
        method, body = request_for(message)
        token = credential(self.clients, self.settings.telegram_bot_token, "ORBIT_TELEGRAM_BOT_TOKEN")
        answer = http_post.request(
            "POST",
            f"{self.settings.telegram_base_url.rstrip('/')}/bot{token}/{method}",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
            allow_private=self.settings.allow_private_webhooks,
            provider=NAME,
        )
        data = answer.json()
        data = data if isinstance(data, dict) else {}
        http_post.classify(answer, NAME, str(data.get("description") or ""))
        if data.get("ok") is False:
            raise Permanent(f"{NAME} did not take it: {data.get('description') or 'no reason given'}")
        result = data.get("result")
        sent_id = result.get("message_id", "") if isinstance(result, dict) else ""
        return SendResult(provider=NAME, provider_id=f"{body['chat_id']}:{sent_id}")
