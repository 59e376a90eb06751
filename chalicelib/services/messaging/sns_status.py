"""SNS delivery status: what the phone carrier or push platform said about an SMS or a platform push.

SNS writes a delivery record per publish to CloudWatch Logs (``sns/<region>/<account>/DirectPublishToPhoneNumber``
and its ``/Failure`` group for SMS, a group per platform application for pushes); a subscription filter hands the
records to the ``sns_delivery_status`` function (``jobs.sns_delivery_status`` decodes them). Each record is JSON:
``notification.messageId`` (SNS's id, which the ``sns`` and ``snspush`` senders return as the provider id and the
send remembers), ``delivery.destination`` (a phone number, or an endpoint ARN for a push), ``status``
(``SUCCESS`` / ``FAILURE``) and ``delivery.providerResponse``.

* ``SUCCESS`` -> ``Message Delivered`` and the ``delivered`` counter, once per message (the ``delivered`` mark
  SES's deliveries use too).
* ``FAILURE`` -> ``Message Failed`` (``failure: bounced``, the provider's response the reason), the ``bounced``
  counter, and the sent message ends ``failed``; once per message.

A record for no Orbit message (another application's publishes, a message older than the records kept) is
skipped. Redelivered records change nothing: both outcomes are first-time marks on the message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import iso
from chalicelib.errors import Conflict
from chalicelib.messaging.outbound import FAILED, SENT, Message
from chalicelib.ports import Ports
from chalicelib.services.messaging import events

log = logging.getLogger("orbit.messages")

SMS_PROVIDER = "sns"  # providers/sns_sms.py
PUSH_PROVIDER = "snspush"  # providers/sns_push.py
BOUNCED = "bounced"  # the failure code and counter of a message the carrier or platform did not deliver
DELIVERED_ACT = "delivered"
UNDELIVERED_ACT = "undelivered"


@dataclass
class Applied:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "skipped": self.skipped}


def provider_of(destination: str) -> str:
    """The Orbit provider that published to ``destination``: a platform endpoint ARN is a push, else an SMS."""
    return PUSH_PROVIDER if destination.startswith("arn:") else SMS_PROVIDER


def _when(notification: Mapping[str, Any]) -> str | None:
    """The record's time (SNS writes ``2026-11-27 12:00:00.123``, UTC) as ISO."""
    stamp = notification.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def apply(ports: Ports, records: Iterable[Mapping[str, Any]]) -> Applied:
    """Apply delivery records (each a decoded log event message) to their messages."""
    applied = Applied()
    for record in records:
        outcome = apply_one(ports, record)
        setattr(applied, outcome, getattr(applied, outcome) + 1)
    return applied


def apply_one(ports: Ports, record: Mapping[str, Any]) -> str:
    """``delivered``, ``failed`` or ``skipped`` (no such message, a record not understood, or seen before)."""
    notification = record.get("notification")
    delivery = record.get("delivery")
    status = record.get("status")
    if (
        not isinstance(notification, Mapping)
        or not isinstance(delivery, Mapping)
        or status not in ("SUCCESS", "FAILURE")
    ):
        return "skipped"
    sns_id = str(notification.get("messageId") or "")
    message = ports.messages.message_by_provider_id(provider_of(str(delivery.get("destination") or "")), sns_id)
    if message is None:
        log.info("SNS delivery record for no Orbit message", extra={"snsMessageId": sns_id})
        return "skipped"
    at = _when(notification) or iso(ports.clock.now())
    if status == "SUCCESS":
        return "delivered" if _delivered(ports, message, at) else "skipped"
    reason = str(delivery.get("providerResponse") or "the carrier or platform did not deliver it")
    return "failed" if _undelivered(ports, message, at, reason) else "skipped"


def _delivered(ports: Ports, message: Message, at: str) -> bool:
    mark = ports.messages.mark(message.id, DELIVERED_ACT, at)
    if mark.done:
        return False
    events.publish(ports, message, events.DELIVERED, mark.at)  # the same event id as every other delivery's
    if not message.counters.get("delivered"):
        ports.messages.count(message.id, "delivered", mark.at)
    ports.messages.mark_done(message.id, DELIVERED_ACT)
    return True


def _undelivered(ports: Ports, message: Message, at: str, reason: str) -> bool:
    mark = ports.messages.mark(message.id, UNDELIVERED_ACT, at)
    if mark.done:
        return False
    events.publish(ports, message, events.FAILED, mark.at, act=UNDELIVERED_ACT, failure=BOUNCED, reason=reason)
    ports.messages.count(message.id, BOUNCED, mark.at)
    with contextlib.suppress(Conflict):  # not ``sent`` (failed already): the counter and the event stand
        ports.messages.update_message(
            message.id,
            SENT,
            {"status": FAILED, "failure": BOUNCED, "reason": reason, "updated_at": iso(ports.clock.now())},
        )
    ports.messages.mark_done(message.id, UNDELIVERED_ACT)
    log.info("message undelivered", extra={"messageId": message.id, "channel": message.channel})
    return True
