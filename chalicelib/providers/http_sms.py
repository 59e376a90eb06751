"""SMS through a Twilio-style HTTP API: a form-encoded ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``
with basic auth (the account SID and the auth token), ``To``, ``From`` (``ORBIT_TWILIO_FROM``: a number or a
messaging service ``MG...``) and ``Body``. The answer's ``sid`` is the provider id.

Twilio refuses a bad recipient with HTTP 400 and an error ``code`` (21211 invalid number, 21610 unsubscribed,
21614 not a mobile number ...): Permanent with its message. 429 and 5xx are Retryable. Twilio does not dedupe,
so the sender is not idempotent.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers import http_post
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import credential
from chalicelib.providers.sns_sms import phone

NAME = "twilio"


class HttpSmsSender(ProviderSender):
    """``Sender`` for the sms channel through a Twilio-style API."""

    name = NAME

    def send(self, message: Outgoing) -> SendResult:
        text = message.content.get("text")
        if not isinstance(text, str) or not text:
            raise Permanent("The SMS has no text")
        sid, sender = self.settings.twilio_account_sid.strip(), self.settings.twilio_from.strip()
        if not sid or not sender:
            raise Permanent("Set ORBIT_TWILIO_ACCOUNT_SID and ORBIT_TWILIO_FROM for the twilio SMS provider")
        token = credential(self.clients, self.settings.twilio_auth_token, "ORBIT_TWILIO_AUTH_TOKEN")
        fields = {"To": phone(message), "Body": text}
        fields["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
        answer = http_post.request(
            "POST",
            f"{self.settings.twilio_base_url.rstrip('/')}/2010-04-01/Accounts/{quote(sid, safe='')}/Messages.json",
            urlencode(fields).encode(),
            {
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            allow_private=self.settings.allow_private_webhooks,
            provider=NAME,
        )
        body = answer.json()
        body = body if isinstance(body, dict) else {}
        reason = " ".join(str(body[k]) for k in ("code", "message") if body.get(k) is not None)
        http_post.classify(answer, NAME, reason)
        return SendResult(provider=NAME, provider_id=str(body.get("sid") or ""))  # taken, even without an id
