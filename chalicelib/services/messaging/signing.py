"""The stage's link signer and the URLs of a message's links.

Secrets come from ``ORBIT_LINK_SECRET`` (comma-separated: the first signs, all verify, for rotation). Without it,
the stage generates one on first use and keeps it in the messages table (``MessageStore.stage_secret``), so a
stage never signs with a secret written in code or left empty; each process reads it once.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from chalicelib.messaging.links import (
    CLICK,
    OPEN,
    TRACKING_DAYS,
    UNSUBSCRIBE,
    UNSUBSCRIBE_DAYS,
    Kind,
    LinkClaims,
    Signer,
    url_for,
)
from chalicelib.messaging.outbound import Message
from chalicelib.ports import MessageStore, Ports

_stored: WeakKeyDictionary[MessageStore, str] = WeakKeyDictionary()
_lock = threading.Lock()


def stage_secrets(ports: Ports) -> list[str]:
    """The stage's link secrets, the signing one first: the configured ones, else the stored one. Other signed
    things (inbox tokens, the Telegram webhook secret) derive their keys from these."""
    configured = [s.strip() for s in ports.settings.link_secret.split(",") if s.strip()]
    if configured:
        return configured
    with _lock:
        secret = _stored.get(ports.messages)
        if secret is None:
            secret = ports.messages.stage_secret(secrets.token_urlsafe(32))
            _stored[ports.messages] = secret
    return [secret]


def signer(ports: Ports) -> Signer:
    return Signer(stage_secrets(ports))


class MessageLinks:
    """The signed URLs of one message under ``base`` (the public URL of the API)."""

    def __init__(self, ports: Ports, message: Message, base: str, now: datetime) -> None:
        self.signer = signer(ports)
        self.message = message
        self.base = base
        self.tracked_until = int((now + timedelta(days=TRACKING_DAYS)).timestamp())
        self.unsubscribe_until = int((now + timedelta(days=UNSUBSCRIBE_DAYS)).timestamp())

    def _claims(self, kind: Kind, until: int, url: str | None = None) -> LinkClaims:
        m = self.message
        return LinkClaims(kind, m.id, m.contact_key, m.channel, until, url)

    def click(self, url: str) -> str:
        return url_for(self.base, CLICK, self.signer.sign(self._claims(CLICK, self.tracked_until, url)))

    def pixel(self) -> str:
        return url_for(self.base, OPEN, self.signer.sign(self._claims(OPEN, self.tracked_until)))

    def unsubscribe(self) -> str:
        return url_for(self.base, UNSUBSCRIBE, self.signer.sign(self._claims(UNSUBSCRIBE, self.unsubscribe_until)))
