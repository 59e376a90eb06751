"""What a send produces: the message record (its status and counters), the message a sender hands to its
provider, the provider's answer, and the sandbox's copy of what went out.

A message moves ``pending`` (claimed, not yet handed over) -> ``sending`` (being handed to the provider) ->
``sent`` or ``failed``; ``failed`` also ends a message that never reached ``sending`` (no consent, no address,
a template that does not render). Counters only grow (opens, clicks, ...) and never move the status.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

# The channels a message is sent on (a template's channel, less ``inapp``: orbit.js shows those on the site).
CHANNELS: tuple[str, ...] = ("email", "sms", "mobilepush", "webpush", "appinbox", "viber", "telegram")

Status = Literal["pending", "sending", "sent", "failed"]
PENDING: Status = "pending"
SENDING: Status = "sending"
SENT: Status = "sent"
FAILED: Status = "failed"
FINAL: tuple[Status, ...] = (SENT, FAILED)

# Why a message failed (``Message.failure``), as the API and the ``Message Failed`` event name it.
UNSUBSCRIBED = "unsubscribed"  # the contact withdrew consent on the channel
UNREACHABLE = "unreachable"  # no address on the channel (no email, phone, token ...)
TEMPLATE = "template"  # the template is missing, for another channel, or failed to render
REFUSED = "refused"  # the provider refused it for good
INTERRUPTED = "interrupted"  # a crash during the provider call, with a provider that cannot dedupe: not resent
UNCONFIGURED = "unconfigured"  # the stage lacks what the message needs (the channel's provider, its public URL)

SANDBOX = "sandbox"  # the provider that keeps messages instead of delivering them (``providers/sandbox.py``)

# Counters a message keeps (``Message.counters``), and the first time each happened (``Message.first``).
COUNTERS = ("delivered", "opened", "clicked", "unsubscribed", "bounced", "complained")

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


_last = [0]  # the last id's value: ids made in one process sort in the order they were made
_lock = threading.Lock()


def new_message_id(now_ms: int | None = None) -> str:
    """``msg_`` + 26 characters that sort by creation time (48-bit milliseconds, then 80 random bits, Crockford
    base 32, lower case): newer ids sort after older ones (within a process, an id made in the same millisecond
    as the one before is that one plus one), and they are not guessable."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    with _lock:
        if value >> 80 == _last[0] >> 80 and value <= _last[0]:
            value = _last[0] + 1
        _last[0] = value
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "msg_" + "".join(reversed(chars))


@dataclass
class Message:
    """One message to one contact on one channel, as stored."""

    id: str
    ledger_key: str  # the digest of the (origin, step, contact, channel) that claimed it
    origin: str
    step: str
    contact_key: str
    channel: str
    template_id: str
    transactional: bool
    status: Status
    created_at: str
    updated_at: str
    external_request_id: str | None = None
    language: str | None = None
    failure: str | None = None  # UNSUBSCRIBED, UNREACHABLE, TEMPLATE, REFUSED, INTERRUPTED, UNCONFIGURED
    reason: str | None = None  # the readable reason of a failure (a render error's, a provider's)
    provider: str | None = None
    provider_id: str | None = None
    sending_at: str | None = None  # when it was first handed to the provider (the events' time)
    sent_at: str | None = None
    attempts: int = 0  # provider calls started
    counters: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)  # counter -> the first time it moved

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class Outgoing:
    """What a sender hands its provider: the rendered content (for email with tracked links, the open pixel and
    the unsubscribe headers), the address on the channel, and the message id (a provider's idempotency key)."""

    message_id: str
    channel: str
    contact_key: str
    template_id: str
    to: dict[str, Any]  # {"email": ...} / {"phone": ...} / the channel identifier (token, chat id ...)
    content: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    created_at: str = ""  # the message's creation time (the sandbox lists by it)


@dataclass(frozen=True)
class SendResult:
    """A provider took the message: its name, its id for the message, and when it was delivered if the provider
    knows at once (the sandbox delivers into its outbox)."""

    provider: str
    provider_id: str
    delivered_at: str | None = None


@dataclass(frozen=True)
class Mark:
    """The first time a recipient did something to a message (opened it, clicked a link, unsubscribed), and whether
    the event announcing it was published."""

    at: str
    done: bool


@dataclass(frozen=True)
class OutboxItem:
    """The sandbox's copy of a message it 'sent': everything a recipient would get."""

    message: Outgoing
    provider_id: str
    sent_at: str
