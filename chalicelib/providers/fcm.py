"""Mobile push through Firebase Cloud Messaging's HTTP v1 API: ``POST {base}/v1/projects/{project}/messages:send``
with an OAuth 2 bearer token minted from a service account.

* ``ORBIT_FCM_PROJECT`` is the Firebase project id; ``ORBIT_FCM_SERVICE_ACCOUNT`` a reference (see ``secrets.py``)
  to the service account's JSON key. ``ORBIT_FCM_BASE_URL`` is the API's address (tests use loopback).
* The token comes from ``mint_token``: a JWT signed RS256 with the key, exchanged at the key's ``token_uri``
  for an access token with the ``firebase.messaging`` scope; it is cached per process until a minute before it
  expires, and dropped when FCM answers 401.
* A rendered push (``title``, ``body``, ``image``, ``deepLink``, ``data``) becomes ``notification`` (title, body,
  image) and ``data`` (the template's values, ``deepLink`` and ``orbitMessageId``: every data value a string).
* FCM's errors: UNREGISTERED (404), INVALID_ARGUMENT (400), SENDER_ID_MISMATCH (403) are Permanent with the error
  code; QUOTA_EXCEEDED (429), UNAVAILABLE (503), INTERNAL (500) and an expired token (401) are Retryable. The
  answer's ``name`` (``projects/p/messages/0:...``) is the provider id. Not idempotent.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers import http_post
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import Clients, credential
from chalicelib.settings import Settings

NAME = "fcm"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    value: str
    expires: float  # time.time() when it stops being used


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assertion(account: dict[str, Any], now: float) -> str:
    """The signed JWT a service account exchanges for an access token (RFC 7523)."""
    key = serialization.load_pem_private_key(str(account["private_key"]).encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Permanent("The FCM service account key is not an RSA key")
    header = {"alg": "RS256", "typ": "JWT", "kid": account.get("private_key_id", "")}
    claims = {
        "iss": account["client_email"],
        "scope": SCOPE,
        "aud": account["token_uri"],
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing}.{_b64(signature)}"


def mint_token(account_json: str, *, allow_private: bool, now: float | None = None) -> Token:
    """An access token for the service account (its JSON key): the one place that talks OAuth."""
    try:
        account = json.loads(account_json)
    except ValueError:
        account = None
    if not isinstance(account, dict) or not all(account.get(k) for k in ("client_email", "private_key", "token_uri")):
        raise Permanent("The FCM service account is not a service account JSON key")
    at = time.time() if now is None else now
    try:
        signed = assertion(account, at)
    except (ValueError, TypeError):
        raise Permanent("The FCM service account's private key does not load") from None
    answer = http_post.request(
        "POST",
        str(account["token_uri"]),
        urlencode({"grant_type": GRANT, "assertion": signed}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
        allow_private=allow_private,
        provider="FCM OAuth",
    )
    data = answer.json()
    data = data if isinstance(data, dict) else {}
    http_post.classify(answer, "FCM OAuth", str(data.get("error_description") or data.get("error") or ""))
    if not isinstance(data.get("access_token"), str):
        raise Retryable("FCM OAuth answered without an access token")
    return Token(data["access_token"], at + float(data.get("expires_in", 3600)) - 60)


def request_for(message: Outgoing) -> dict[str, Any]:
    token = message.to.get("value")
    if not isinstance(token, str) or not token:
        raise Permanent("The message has no push token")
    content = message.content
    notification = {k: str(content[k]) for k in ("title", "body", "image") if content.get(k)}
    data = {str(k): str(v) for k, v in (content.get("data") or {}).items()}
    if content.get("deepLink"):
        data["deepLink"] = str(content["deepLink"])
    data["orbitMessageId"] = message.message_id
    return {"message": {"token": token, "notification": notification, "data": data}}


def _fcm_code(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status") or "")


class FcmSender(ProviderSender):
    """``Sender`` for the mobilepush channel through FCM HTTP v1."""

    name = NAME

    def __init__(self, settings: Settings, clients: Clients) -> None:
        super().__init__(settings, clients)
        self._token: Token | None = None
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token.expires <= time.time():
                account = credential(self.clients, self.settings.fcm_service_account, "ORBIT_FCM_SERVICE_ACCOUNT")
                self._token = mint_token(account, allow_private=self.settings.allow_private_webhooks)
            return self._token.value

    def send(self, message: Outgoing) -> SendResult:
        if not self.settings.fcm_project:
            raise Permanent("Set ORBIT_FCM_PROJECT for the fcm provider")
        body = request_for(message)
        answer = http_post.request(
            "POST",
            f"{self.settings.fcm_base_url.rstrip('/')}/v1/projects/{quote(self.settings.fcm_project, safe='')}"
            "/messages:send",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {self._bearer()}"},
            allow_private=self.settings.allow_private_webhooks,
            provider=NAME,
        )
        data = answer.json()
        if answer.status == 401:
            with self._lock:
                self._token = None
            raise Retryable(f"{NAME} refused the access token; a new one is minted on the next try")
        http_post.classify(answer, NAME, _fcm_code(data))
        name = data.get("name") if isinstance(data, dict) else None
        return SendResult(provider=NAME, provider_id=str(name or ""))
