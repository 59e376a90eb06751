"""One message to one contact: claim it in the ledger, check consent, render, hand it to the channel's sender,
record what happened and tell the contact's activity.

Exactly once, across retries, redeliveries and crashes:

1. The ledger claim for (origin, step, contact, channel) is the first write. Its winner's message id is the
   message; a retry, a redelivered queue message or a concurrent duplicate gets the same id back and continues
   (or returns) that message rather than making another.
2. The message record follows, ``pending``. Consent, the address and rendering are checked while it is
   ``pending``; a refusal ends it ``failed`` with its reason (a template that does not render fails this one
   message, never the batch or workflow that sent it).
   Policies (``messaging/policies.py``) apply to every message but transactional ones: outside the contact's send
   hours the message stays ``pending`` and ``Sent.deferred_until`` says when to send it again (never dropped);
   just before the provider call the message counts against the channel's frequency caps (by its id, so a retry
   counts once), and one over a cap ends ``failed`` (``capped``).
3. ``pending`` -> ``sending`` is a conditional write: of two concurrent attempts one wins, the other returns the
   message as it is. Only then is the provider called.
4. The event (``Message Sent``, or ``Message Failed``) is published before the final status is written and is
   dated by the record (``sending_at``, ``created_at``), so an attempt that crashed in between publishes the same
   event again, and the event log keeps one.

A message found ``sending`` by a later attempt was interrupted during the provider call (or is being sent right
now). Within ``SEND_LEASE`` it is left alone; after it, a sender that dedupes by message id (the sandbox) is
called again, and any other ends the message ``failed`` (``interrupted``): it may have been delivered, and
sending it again could deliver it twice. Retryable from a sender puts the message back to ``pending`` and is
raised, so the caller's retry sends it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound, Permanent, Retryable
from chalicelib.messaging import consent, policies
from chalicelib.messaging.address_suppressions import SUPPRESSED
from chalicelib.messaging.context import context_for
from chalicelib.messaging.ledger import Claim, LedgerKey
from chalicelib.messaging.links import decorate_email
from chalicelib.messaging.outbound import (
    CHANNELS,
    FAILED,
    INTERRUPTED,
    PENDING,
    REFUSED,
    SANDBOX,
    SENDING,
    SENT,
    TEMPLATE,
    UNCONFIGURED,
    Message,
    Outgoing,
    SendResult,
    Status,
    new_message_id,
)
from chalicelib.messaging.render import RenderError, render
from chalicelib.messaging.templates import Template
from chalicelib.ports import Ports, Sender
from chalicelib.services import contacts
from chalicelib.services.messaging import events, suppressions
from chalicelib.services.messaging.signing import MessageLinks
from chalicelib.services.recommendations import serve
from chalicelib.triggers.products import category_of, product_ids

log = logging.getLogger("orbit.messages")
SEND_LEASE = timedelta(minutes=5)  # how long a message stays "sending" before a retry may take it over


@dataclass(frozen=True)
class SendRequest:
    """What to send to whom: ``origin`` and ``step`` make the ledger key with the contact and the template's
    channel. ``data`` is what the template reads as ``vars``; ``event`` as ``event``."""

    contact_key: str
    template_id: str
    origin: str
    step: str = ""
    transactional: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    external_request_id: str | None = None
    base_url: str = ""  # where the message's links point (``settings.public_url`` wins)
    hours: tuple[int, int] | None = None  # send hours of the sender (a workflow's) over the stage's


@dataclass(frozen=True)
class Sent:
    message: Message
    repeated: bool  # the ledger already held it: an earlier attempt's message, not a new one
    deferred_until: str | None = None  # outside the send hours: still pending, send it again at this ISO time


def send(ports: Ports, request: SendRequest) -> Sent:
    """Send (or find the earlier attempt of) one message. NotFound: no such contact or template; InvalidInput: a
    template of a channel that is not sent (``inapp``). Retryable: try again (nothing went out twice)."""
    record = _contact(ports, request.contact_key)
    template = ports.templates.template(request.template_id)
    if template is None:
        raise NotFound(
            f"No template {request.template_id!r}", [ErrorDetail("templateId", "is not the id of a template")]
        )
    if template.channel not in CHANNELS:
        raise InvalidInput(
            f"A {template.channel} template is shown by orbit.js, not sent",
            [ErrorDetail("templateId", f"is a {template.channel} template; send one of {', '.join(CHANNELS)}")],
        )
    now = ports.clock.now()
    key = LedgerKey(request.origin, request.step, record.key, template.channel)
    candidate = Claim(key, new_message_id(int(now.timestamp() * 1000)), iso(now))
    claim = ports.messages.claim(candidate)
    repeated = claim.message_id != candidate.message_id
    message = ports.messages.message(claim.message_id) or ports.messages.create_message(
        Message(
            id=claim.message_id,
            ledger_key=key.digest,
            origin=request.origin,
            step=request.step,
            contact_key=record.key,
            channel=template.channel,
            template_id=template.id,
            transactional=request.transactional,
            status=PENDING,
            created_at=claim.claimed_at,
            updated_at=claim.claimed_at,
            external_request_id=request.external_request_id,
        )
    )
    if message.status == PENDING and not message.transactional:
        rules = ports.policies if request.hours is None else replace(ports.policies, hours=request.hours)
        until = policies.next_allowed(rules, record.profile, now)
        if until is not None:
            return Sent(message, repeated, iso(until))
    return Sent(_go_on(ports, message, record, template, request, now), repeated)


def _contact(ports: Ports, key: str) -> ContactRecord:
    external_id = keys.external_id(key)
    if external_id is None:
        raise NotFound("Messages go to known contacts (with an External ID)")
    return contacts.get(ports, external_id)


def _go_on(
    ports: Ports, message: Message, record: ContactRecord, template: Template, request: SendRequest, now: datetime
) -> Message:
    """Take ``message`` from where it is to a final status (or leave it to the attempt that holds it)."""
    if message.final:
        return message
    if message.status == SENDING:
        return _interrupted(ports, message, record, template, request, now)
    decision = consent.check(record.profile, record.channels, message.channel, message.transactional)
    if not decision.allowed:
        return _fail(ports, message, PENDING, decision.failure or REFUSED, decision.reason or "refused")
    to = consent.address(record.profile, record.channels, message.channel) or {}
    listed = suppressions.blocking(ports, message.channel, to)  # the stage's address list, transactional too
    if listed is not None:
        return _fail(ports, message, PENDING, SUPPRESSED, f"the address is suppressed ({listed.reason})")
    try:
        sender = ports.senders.sender(message.channel)
        outgoing = _outgoing(ports, message, record, template, request, now)
    except Permanent as exc:
        return _fail(ports, message, PENDING, UNCONFIGURED, exc.message)
    except RenderError as exc:
        return _fail(ports, message, PENDING, TEMPLATE, exc.reason)
    if not message.transactional and ports.policies.problem is not None:  # a policy setting that does not parse
        return _fail(ports, message, PENDING, UNCONFIGURED, ports.policies.problem)
    if not message.transactional and not _within_caps(ports, message, now):
        return _fail(ports, message, PENDING, policies.CAPPED, f"the contact reached the {message.channel} cap")
    try:
        message = ports.messages.update_message(
            message.id,
            PENDING,
            {
                "status": SENDING,
                "sending_at": message.sending_at or iso(now),
                "attempts": message.attempts + 1,
                "language": outgoing.language,
                "updated_at": iso(now),
            },
        )
    except Conflict:  # another attempt moved it first: its outcome stands
        return ports.messages.message(message.id) or message
    return _hand_over(ports, message, sender, outgoing, now)


def _within_caps(ports: Ports, message: Message, now: datetime) -> bool:
    """Count ``message`` against its channel's caps; False when it is over one (a retry of a counted message is
    within them: it counted once)."""
    cap = ports.policies.caps.get(message.channel)
    if cap is None or (cap.daily is None and cap.weekly is None):
        return True
    today = policies.day_of(now)
    before = ports.caps.counts(message.contact_key, message.channel, policies.week_before(today)) if cap.weekly else {}
    limit = policies.limit_today(cap, before, today)
    return ports.caps.count(message.contact_key, message.channel, today, message.id, limit)


def _interrupted(
    ports: Ports, message: Message, record: ContactRecord, template: Template, request: SendRequest, now: datetime
) -> Message:
    """A message some attempt began to hand over: leave it within the lease, else resend it when its sender
    dedupes by message id, else end it."""
    started = datetime.fromisoformat(message.updated_at)
    if now - started < SEND_LEASE:
        return message
    try:
        sender = ports.senders.sender(message.channel)
    except Permanent as exc:
        return _fail(ports, message, SENDING, UNCONFIGURED, exc.message)
    if not sender.idempotent:
        return _fail(
            ports,
            message,
            SENDING,
            INTERRUPTED,
            f"interrupted during the {sender.name} call; not sent again, as it may have been delivered",
        )
    try:
        outgoing = _outgoing(ports, message, record, template, request, now)
        message = ports.messages.update_message(
            message.id, SENDING, {"attempts": message.attempts + 1, "updated_at": iso(now)}
        )
    except Permanent as exc:
        return _fail(ports, message, SENDING, UNCONFIGURED, exc.message)
    except RenderError as exc:
        return _fail(ports, message, SENDING, TEMPLATE, exc.reason)
    except Conflict:
        return ports.messages.message(message.id) or message
    log.warning("resending an interrupted message", extra={"messageId": message.id, "attempt": message.attempts})
    return _hand_over(ports, message, sender, outgoing, now)


def _product_blocks(
    ports: Ports, template: Template, contact_key: str, event: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The six-plus-six product blocks, looked up only for a template that reads them: the products the event
    names (a cart's, an order's, the viewed one) and recommendations for them and the contact."""
    text = json.dumps([template.content, template.versions])
    if "products" not in text and "recommended" not in text:
        return [], []
    return serve.for_template(ports, contact_key, product_ids(event), category=category_of(event))


def _outgoing(
    ports: Ports, message: Message, record: ContactRecord, template: Template, request: SendRequest, now: datetime
) -> Outgoing:
    """The message as its provider gets it (RenderError when the template does not render, Permanent when the
    stage has no public URL for an email's links)."""
    card = contacts.card(ports, record).model_dump(mode="json")
    products, recommended = _product_blocks(ports, template, record.key, request.event)
    context = context_for(card, event=request.event, variables=request.data, products=products, recommended=recommended)
    rendered = render(template, context, request.language)
    content: dict[str, Any] = rendered.content
    headers: dict[str, str] = {}
    if message.channel == "email":
        base = ports.settings.public_url or request.base_url
        if not base:
            raise Permanent("Set ORBIT_PUBLIC_URL: an email's tracking and unsubscribe links need the API's address")
        links = MessageLinks(ports, message, base, now)
        content, headers = decorate_email(
            content, links.click, links.pixel(), None if message.transactional else links.unsubscribe()
        )
    to = consent.address(record.profile, record.channels, message.channel) or {}
    return Outgoing(
        message_id=message.id,
        channel=message.channel,
        contact_key=message.contact_key,
        template_id=message.template_id,
        to=to,
        content=content,
        headers=headers,
        language=rendered.language,
        created_at=message.created_at,
    )


def _hand_over(ports: Ports, message: Message, sender: Sender, outgoing: Outgoing, now: datetime) -> Message:
    try:
        result: SendResult = sender.send(outgoing)
    except Retryable:
        with contextlib.suppress(Conflict):  # not taken: the caller's retry renders and sends it again
            ports.messages.update_message(message.id, SENDING, {"status": PENDING, "updated_at": iso(now)})
        raise
    except Permanent as exc:
        return _fail(ports, message, SENDING, REFUSED, exc.message)
    if result.provider_id and result.provider != SANDBOX:  # callbacks name the message so (chat_callbacks.py)
        ports.messages.remember_provider_id(result.provider, result.provider_id, message.id)
    at = message.sending_at or iso(now)
    events.publish(ports, message, events.SENT, at)
    if result.delivered_at is not None:
        events.publish(ports, message, events.DELIVERED, at)
    try:
        sent = ports.messages.update_message(
            message.id,
            SENDING,
            {
                "status": SENT,
                "provider": result.provider,
                "provider_id": result.provider_id,
                "sent_at": iso(now),
                "updated_at": iso(now),
            },
        )
    except Conflict:  # a concurrent takeover finished it first
        return ports.messages.message(message.id) or message
    if result.delivered_at is not None:
        ports.messages.count(message.id, "delivered", result.delivered_at)
        sent = ports.messages.message(message.id) or sent
    log.info("message sent", extra={"messageId": message.id, "channel": message.channel, "provider": result.provider})
    return sent


def _fail(ports: Ports, message: Message, expected: Status, failure: str, reason: str) -> Message:
    """End ``message`` failed (its event first, dated by the record, so a retry republishes the same one)."""
    events.publish(
        ports, message, events.FAILED, message.sending_at or message.created_at, failure=failure, reason=reason
    )
    try:
        failed = ports.messages.update_message(
            message.id,
            expected,
            {"status": FAILED, "failure": failure, "reason": reason, "updated_at": iso(ports.clock.now())},
        )
    except Conflict:
        return ports.messages.message(message.id) or message
    log.info("message failed", extra={"messageId": message.id, "channel": message.channel, "failure": failure})
    return failed
