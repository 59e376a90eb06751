"""Web push with VAPID (RFC 8030, 8291, 8292): the payload encrypted for the browser's subscription
(``aes128gcm``, by ``pywebpush``), signed with the stage's VAPID key, and POSTed to the subscription's endpoint.

* ``ORBIT_VAPID_PRIVATE_KEY`` is a reference (see ``secrets.py``) to the VAPID private key (base64url raw or PEM);
  its public key is the ``applicationServerKey`` the site subscribes with. ``ORBIT_VAPID_SUBJECT`` is the
  ``mailto:`` or ``https:`` contact push services may use.
* The recipient is the contact's ``webpush`` identifier with its ``subscription`` (``endpoint``,
  ``keys.p256dh``, ``keys.auth``). The endpoint is the push service's address: it goes through the same private
  address refusal as every outgoing call (``http_post``), which pywebpush's own transport would not.
* The payload is JSON for the service worker: ``title``, ``body``, ``icon``, ``url`` and ``messageId``.
* 404 and 410 (the subscription is gone), 400/403/413 are Permanent with the service's answer; 429 and 5xx
  Retryable. The answer's ``Location`` (the push message's URL) is the provider id. Not idempotent.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from py_vapid import Vapid02, VapidException
from pywebpush import WebPusher, WebPushException

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers import http_post
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import credential

NAME = "webpush"
TTL = 24 * 3600  # how long the push service keeps a message for an offline browser
MAX_PAYLOAD = 3993  # 4096 minus the aes128gcm header and padding


def payload(message: Outgoing) -> bytes:
    content = {k: message.content[k] for k in ("title", "body", "icon", "url") if message.content.get(k)}
    data = json.dumps({**content, "messageId": message.message_id}, ensure_ascii=False).encode()
    if len(data) > MAX_PAYLOAD:
        raise Permanent(f"The web push payload is {len(data)} bytes; push services take at most {MAX_PAYLOAD}")
    return data


def subscription(message: Outgoing) -> dict[str, Any]:
    found = message.to.get("subscription")
    keys = found.get("keys") if isinstance(found, dict) else None
    if (
        not isinstance(found, dict)
        or not isinstance(keys, dict)
        or not all(isinstance(found.get("endpoint"), str) and isinstance(keys.get(k), str) for k in ("p256dh", "auth"))
    ):
        raise Permanent("The message has no web push subscription (endpoint and keys p256dh, auth)")
    endpoint = urlsplit(found["endpoint"])
    if endpoint.scheme not in ("https", "http") or not endpoint.hostname:
        raise Permanent("The web push subscription's endpoint is not an http(s) URL")
    return found


class WebPushSender(ProviderSender):
    """``Sender`` for the webpush channel."""

    name = NAME

    def _vapid(self) -> Vapid02:
        key = credential(self.clients, self.settings.vapid_private_key, "ORBIT_VAPID_PRIVATE_KEY")
        try:
            return Vapid02.from_pem(key.encode()) if "BEGIN" in key else Vapid02.from_string(key)
        except Exception:
            raise Permanent("ORBIT_VAPID_PRIVATE_KEY does not name a usable VAPID private key") from None

    def send(self, message: Outgoing) -> SendResult:
        if not self.settings.vapid_subject.startswith(("mailto:", "https://")):
            raise Permanent("Set ORBIT_VAPID_SUBJECT to a mailto: or https: contact for the webpush provider")
        target = subscription(message)
        data = payload(message)
        try:
            encrypted = WebPusher(target).encode(data, content_encoding="aes128gcm")
        except (WebPushException, ValueError, TypeError):
            raise Permanent("The web push subscription's keys are not usable") from None
        endpoint = urlsplit(target["endpoint"])
        claims = {
            "aud": f"{endpoint.scheme}://{endpoint.netloc}",
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.settings.vapid_subject,
        }
        try:
            headers = {str(k): str(v) for k, v in self._vapid().sign(claims).items()}
        except VapidException as exc:
            raise Permanent(f"The VAPID claims are refused: {exc}") from None
        headers.update(
            {
                "TTL": str(TTL),
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "Urgency": "normal",
            }
        )
        answer = http_post.request(
            "POST",
            target["endpoint"],
            encrypted["body"],
            headers,
            allow_private=self.settings.allow_private_webhooks,
            provider=NAME,
        )
        http_post.classify(answer, NAME, answer.body[:200].decode("utf-8", "replace").strip())
        location = {k.lower(): v for k, v in answer.headers.items()}.get("location", "")
        return SendResult(provider=NAME, provider_id=location)
