"""Viber through the REST bot API: ``POST {base}/pa/send_message`` with the ``X-Viber-Auth-Token`` header
(``ORBIT_VIBER_AUTH_TOKEN``, a reference: see ``secrets.py``) and the sender's name (``ORBIT_VIBER_SENDER_NAME``).

A rendered viber message is ``text``, ``image`` and a button (``buttonText``, ``buttonUrl``): text alone is a
``text`` message, an image a ``picture`` (the text its caption), and a button makes it a ``rich_media`` carousel of
one card (text, image, button). The receiver is the contact's ``viber`` identifier (the user id the bot got).

Viber answers HTTP 200 with ``status`` (0 ok) and ``status_message``: 5 (receiver not subscribed), 6 (not a
Viber user), 3 (bad data), 2 (invalid token) ... are Permanent; 12 (rate limit) and transport failures Retryable.
The answer's ``message_token`` is the provider id. Not idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers import http_post
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import credential

NAME = "viber"
RETRYABLE_STATUSES = {12}  # too many requests


def body_for(message: Outgoing, sender_name: str) -> dict[str, Any]:
    receiver = message.to.get("value")
    if not isinstance(receiver, str) or not receiver:
        raise Permanent("The message has no Viber user id (a Viber bot cannot message a phone number)")
    content = message.content
    text, image = content.get("text"), content.get("image")
    button_text, button_url = content.get("buttonText"), content.get("buttonUrl")
    body: dict[str, Any] = {"receiver": receiver, "sender": {"name": sender_name}, "min_api_version": 7}
    if button_text and button_url:
        buttons: list[dict[str, Any]] = []
        if image:
            buttons.append({"Columns": 6, "Rows": 4, "ActionType": "none", "Image": image})
        if text:
            buttons.append({"Columns": 6, "Rows": 2, "ActionType": "none", "Text": text, "TextSize": "medium"})
        buttons.append(
            {"Columns": 6, "Rows": 1, "ActionType": "open-url", "ActionBody": button_url, "Text": button_text}
        )
        rows = sum(int(b["Rows"]) for b in buttons)
        body.update(
            type="rich_media",
            rich_media={"Type": "rich_media", "ButtonsGroupColumns": 6, "ButtonsGroupRows": rows, "Buttons": buttons},
        )
        if text:
            body["alt_text"] = text
        return body
    if image:
        body.update(type="picture", media=image, text=text or "")
        return body
    if not text:
        raise Permanent("The Viber message has neither text nor image")
    body.update(type="text", text=text)
    return body


class ViberSender(ProviderSender):
    """``Sender`` for the viber channel through the Viber REST API."""

    name = NAME

    def send(self, message: Outgoing) -> SendResult:
        if not self.settings.viber_sender_name:
            raise Permanent("Set ORBIT_VIBER_SENDER_NAME for the viber provider")
        body = body_for(message, self.settings.viber_sender_name)
        token = credential(self.clients, self.settings.viber_auth_token, "ORBIT_VIBER_AUTH_TOKEN")
        answer = http_post.request(
            "POST",
            f"{self.settings.viber_base_url.rstrip('/')}/pa/send_message",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-Viber-Auth-Token": token},
            allow_private=self.settings.allow_private_webhooks,
            provider=NAME,
        )
        data = answer.json()
        data = data if isinstance(data, dict) else {}
        http_post.classify(answer, NAME, str(data.get("status_message") or ""))
        status = data.get("status")
        if status != 0:
            reason = f"{NAME} refused it: status {status}: {data.get('status_message', '')}"
            raise Retryable(reason) if status in RETRYABLE_STATUSES else Permanent(reason)
        return SendResult(provider=NAME, provider_id=str(data.get("message_token", "")))
