"""Provider delivery callbacks: SES events through an SNS HTTP(S) subscription.

Every SNS message is checked before anything is read from it: its signature (SignatureVersion 1, SHA1, or 2,
SHA256, RSA PKCS#1 v1.5, verified in plain Python, so the bundle needs no crypto library) against the
certificate at ``SigningCertURL``, which must be an https URL on ``sns.<region>.amazonaws.com`` (or
``.amazonaws.com.cn``) ending in ``.pem``; certificates are fetched once per process and cached.
A ``SubscriptionConfirmation`` is confirmed by fetching its ``SubscribeURL`` (same host rule). Both are fetched
through the ``HttpsGetter`` port (``ports.fetcher``: https only, no redirects, a timeout and a size cap).

A ``Notification`` carries an SES event (event publishing: ``eventType``; identity notifications:
``notificationType``). It names the Orbit message by the ``orbit-message`` tag (``orbit-message-id`` too) or the
``X-Orbit-Message-Id`` header, both set by the SES sender; an event for no Orbit message is acknowledged and
ignored. Then:

* ``Delivery`` -> ``Message Delivered``, counter ``delivered``;
* ``Bounce`` with ``bounceType`` ``Permanent`` -> ``Message Bounced``, counter ``bounced``, and the address is
  suppressed: consent ``unsubscribed`` with ``reason`` ``bounced`` and ``suppressed`` the address, so a later send
  is refused ``unreachable``, and the bounced addresses go on the stage's suppression list
  (``suppressions.py``); transient bounces are logged only (SES retried them);
* ``Complaint`` -> ``Message Complained``, counter ``complained``, suppressed with ``reason`` ``complained``;
* ``Open`` / ``Click`` -> ``Message Opened`` / ``Message Clicked``, the same first-time marks as Orbit's own pixel
  and click links (one event per message, per link), counted per notification.

Idempotent: each SNS ``MessageId`` is a mark on the message, so a redelivered notification changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, InvalidInput, Permanent, Unauthorized
from chalicelib.messaging import consent
from chalicelib.messaging.outbound import UNSUBSCRIBED, Message
from chalicelib.ports import HttpsGetter, Ports
from chalicelib.services.messaging import events, suppressions
from chalicelib.services.messaging.consent import set_consent

log = logging.getLogger("orbit.messages")

BOUNCED = "Message Bounced"
COMPLAINED = "Message Complained"
TAGS = ("orbit-message", "orbit-message-id")
HEADER = "x-orbit-message-id"
SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}

RsaKey = tuple[int, int]  # (modulus, public exponent)
# DigestInfo prefixes of PKCS#1 v1.5 signatures (RFC 8017 9.2, note 1)
DIGEST_INFO = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
}


_certs: dict[str, RsaKey] = {}
_lock = threading.Lock()


def sns_url(url: Any) -> bool:
    """An https URL on an SNS host (the only URLs Orbit fetches for SNS)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.port is None and bool(SNS_HOST.match(parts.hostname or ""))


def _der(data: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at ``at``: (tag, start of its content, end of its content)."""
    tag, first = data[at], data[at + 1]
    at += 2
    if first & 0x80:
        size = int.from_bytes(data[at : at + (first & 0x7F)], "big")
        at += first & 0x7F
    else:
        size = first
    if at + size > len(data):
        raise ValueError("truncated DER")
    return tag, at, at + size


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    while start < end:
        element = _der(data, start)
        found.append(element)
        start = element[2]
    return found


def rsa_key(pem: bytes) -> RsaKey:
    """The RSA public key of a PEM X.509 certificate (ValueError when it is not one)."""
    text = pem.decode("ascii")
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    if begin not in text or end not in text:
        raise ValueError("not a PEM certificate")
    der = base64.b64decode("".join(text.split(begin, 1)[1].split(end, 1)[0].split()))
    _, start, stop = _der(der, 0)  # Certificate
    _, start, stop = _children(der, start, stop)[0]  # tbsCertificate
    fields = _children(der, start, stop)
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    _, start, stop = fields[5]  # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    algorithm, bits = _children(der, start, stop)[:2]
    if bytes.fromhex("2a864886f70d010101") not in der[algorithm[1] : algorithm[2]]:  # rsaEncryption
        raise ValueError("not an RSA certificate")
    _, start, stop = _der(der, bits[1] + 1)  # the BIT STRING (past its unused-bits byte): RSAPublicKey
    modulus, exponent = _children(der, start, stop)[:2]
    return int.from_bytes(der[modulus[1] : modulus[2]], "big"), int.from_bytes(der[exponent[1] : exponent[2]], "big")


def rsa_verifies(key: RsaKey, signature: bytes, data: bytes, digest: str) -> bool:
    """RSASSA-PKCS1-v1_5 verification of ``signature`` over ``data`` with ``digest`` (``sha1``, ``sha256``)."""
    modulus, exponent = key
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    encoded = pow(value, exponent, modulus).to_bytes(size, "big")
    info = DIGEST_INFO[digest] + hashlib.new(digest, data).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return len(expected) == size and hmac.compare_digest(encoded, expected)


def _public_key(fetcher: HttpsGetter, url: str) -> RsaKey:
    with _lock:
        cached = _certs.get(url)
    if cached is not None:
        return cached
    key = rsa_key(fetcher.get(url))
    with _lock:
        _certs[url] = key
    return key


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """SNS's canonical form: each signed key present, ``name\\nvalue\\n``, in order."""
    names = SIGNED_KEYS.get(str(message.get("Type")))
    if names is None:
        raise InvalidInput("Not an SNS message", [ErrorDetail("Type", "is not an SNS message type")])
    lines = [f"{n}\n{message[n]}\n" for n in names if message.get(n) is not None]
    return "".join(lines).encode("utf-8")


def verify(message: Mapping[str, Any], fetcher: HttpsGetter) -> None:
    """Unauthorized unless ``message`` is signed by SNS (see the module doc); Retryable when its certificate
    cannot be fetched now."""
    url = message.get("SigningCertURL") or message.get("SigningCertUrl")
    if not sns_url(url) or not str(urlsplit(str(url)).path).endswith(".pem"):
        raise Unauthorized("The SNS signing certificate must come from an https sns.<region>.amazonaws.com URL")
    version = str(message.get("SignatureVersion") or "1")
    if version not in ("1", "2"):
        raise Unauthorized("Unknown SNS signature version")
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
        key = _public_key(fetcher, str(url))
        valid = rsa_verifies(key, signature, string_to_sign(message), "sha1" if version == "1" else "sha256")
    except (ValueError, IndexError, Permanent) as exc:
        raise Unauthorized("The SNS message signature does not verify") from exc
    if not valid:
        raise Unauthorized("The SNS message signature does not verify")


def receive_sns(ports: Ports, message: Mapping[str, Any]) -> str:
    """Handle one SNS POST; returns what was done (``confirmed``, ``recorded``, ``duplicate``, ``ignored``)."""
    if not isinstance(message, Mapping):
        raise InvalidInput("Not an SNS message", [ErrorDetail("$", "must be an object")])
    verify(message, ports.fetcher)
    kind = message.get("Type")
    if kind == "SubscriptionConfirmation":
        url = message.get("SubscribeURL")
        if not sns_url(url):
            raise Unauthorized("The SubscribeURL is not an SNS URL")
        ports.fetcher.get(str(url))
        log.info("SNS subscription confirmed", extra={"topic": message.get("TopicArn")})
        return "confirmed"
    if kind != "Notification":
        return "ignored"
    try:
        body = json.loads(str(message.get("Message") or ""))
    except ValueError:
        return "ignored"
    return ses_event(ports, body, str(message.get("MessageId") or ""))


def _orbit_id(mail: Mapping[str, Any]) -> str | None:
    tags = mail.get("tags")
    if isinstance(tags, Mapping):
        for tag in TAGS:
            found = tags.get(tag)
            if isinstance(found, list) and found:
                return str(found[0])
    for header in mail.get("headers") or []:
        if isinstance(header, Mapping) and str(header.get("name", "")).lower() == HEADER:
            return str(header.get("value"))
    return None


def ses_event(ports: Ports, body: Mapping[str, Any], notification_id: str) -> str:
    """Apply one SES event to its message; ``notification_id`` (the SNS MessageId) makes it idempotent."""
    if not isinstance(body, Mapping):
        return "ignored"
    kind = str(body.get("eventType") or body.get("notificationType") or "")
    found = body.get("mail")
    mail: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    message_id = _orbit_id(mail)
    message = ports.messages.message(message_id) if message_id else None
    if message is None:
        log.info("SES event for no Orbit message", extra={"eventType": kind, "sesId": mail.get("messageId")})
        return "ignored"
    notification = f"sns:{notification_id or hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()}"
    now = iso(ports.clock.now())
    seen = ports.messages.mark(message.id, notification, now)
    if seen.done:
        return "duplicate"
    at = _when(body, kind) or now
    if kind == "Delivery":
        # the same event id as a sender reporting delivery at once (send.py), and one delivery per message
        counter = None if message.counters.get("delivered") else "delivered"
        _first(ports, message, "delivered", events.DELIVERED, at, counter=counter, event_act="")
    elif kind == "Bounce":
        bounce = body.get("bounce") or {}
        if bounce.get("bounceType") == "Permanent":
            _suppress(ports, message, consent.BOUNCED, _recipients(bounce.get("bouncedRecipients")))
            _first(
                ports, message, "bounce", BOUNCED, at, counter="bounced", bounceType="Permanent",
                bounceSubType=bounce.get("bounceSubType"),
            )  # fmt: skip
        else:
            log.info("transient bounce", extra={"messageId": message.id, "bounceType": bounce.get("bounceType")})
    elif kind == "Complaint":
        complaint = body.get("complaint") or {}
        _suppress(ports, message, consent.COMPLAINED, _recipients(complaint.get("complainedRecipients")))
        _first(
            ports, message, "complaint", COMPLAINED, at, counter="complained",
            feedbackType=complaint.get("complaintFeedbackType"),
        )  # fmt: skip
    elif kind == "Open":
        ports.messages.count(message.id, "opened", at)
        _first(ports, message, "open", events.OPENED, at)
    elif kind == "Click":
        link = str((body.get("click") or {}).get("link") or "")
        ports.messages.count(message.id, "clicked", at)
        if link:
            digest = hashlib.sha256(link.encode("utf-8")).hexdigest()[:16]
            _first(ports, message, f"click:{digest}", events.CLICKED, at, url=link)
    else:
        log.info("SES event not mapped", extra={"eventType": kind, "messageId": message.id})
    ports.messages.mark_done(message.id, notification)
    return "recorded"


def _when(body: Mapping[str, Any], kind: str) -> str | None:
    section = body.get(kind[:1].lower() + kind[1:]) if kind else None
    stamp = section.get("timestamp") if isinstance(section, Mapping) else None
    if not isinstance(stamp, str):
        return None
    try:
        from datetime import datetime

        return iso(datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    except ValueError:
        return None


def _recipients(found: Any) -> list[str]:
    return [str(r["emailAddress"]).lower() for r in found or [] if isinstance(r, Mapping) and r.get("emailAddress")]


def _suppress(ports: Ports, message: Message, reason: str, recipients: list[str]) -> None:
    """Unsubscribe the message's contact from its channel for ``reason``, suppressing its address, when that is
    the address that failed (not when the contact has changed its address since). The addresses that failed go on
    the stage's suppression list whoever holds them."""
    suppressions.suppress_failed(ports, message.channel, recipients, reason, "ses")
    record = ports.contacts.load(message.contact_key)
    to = consent.address(record.profile, record.channels, message.channel) if record else None
    current = str((to or {}).get("email") or "").lower()
    if not current or (recipients and current not in recipients):
        # the contact has another address since: the one that failed is no longer written to
        log.info("bounce or complaint for a former address", extra={"messageId": message.id, "reason": reason})
        return
    set_consent(ports, message.contact_key, message.channel, UNSUBSCRIBED, "ses", reason=reason, suppressed=current)
    log.info("address suppressed", extra={"messageId": message.id, "reason": reason})


def _first(
    ports: Ports,
    message: Message,
    act: str,
    kind: str,
    at: str,
    counter: str | None = None,
    event_act: str | None = None,
    **extra: Any,
) -> None:
    """The event announcing ``act`` the first time (and ``counter`` then), as tracking's marks do."""
    mark = ports.messages.mark(message.id, act, at)
    if mark.done:
        return
    shown = {k: v for k, v in extra.items() if v is not None}
    events.publish(ports, message, kind, mark.at, act=act if event_act is None else event_act, **shown)
    if counter is not None:
        ports.messages.count(message.id, counter, mark.at)
    ports.messages.mark_done(message.id, act)
