"""Telegram webhook updates and Viber callbacks: links, consent, and what happened to the messages sent.

Telegram (``messaging/telegram_updates.py``): ``/start <code>`` links the chat (``chat_links.follow``);
``/start`` from a chat already linked subscribes it again; ``/stop`` unsubscribes it and a ``kicked`` member
update (the person blocked the bot) unsubscribes it with reason ``blocked``. Telegram has no delivery receipts:
nothing counts ``delivered`` for Telegram messages.

Viber (``messaging/viber_callbacks.py``), the message found by its ``message_token``
(``MessageStore.message_by_provider_id``): ``delivered`` -> ``Message Delivered`` and counter ``delivered``;
``seen`` -> ``Message Opened`` and counter ``opened``; ``failed`` -> ``Message Failed`` with Viber's description
(the message ends ``failed``, ``refused``). ``subscribed``/``unsubscribed`` set the linked contact's consent;
``conversation_started`` with a link code as ``context`` links the user.

Each of these is a first-time mark on the message, as SES callbacks and Orbit's own tracking make them, so a
callback the provider repeats counts and announces once. Consent changes are idempotent by nature.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from chalicelib.clock import iso
from chalicelib.errors import Conflict, Unauthorized
from chalicelib.messaging import consent, telegram_updates, viber_callbacks
from chalicelib.messaging.chat_links import TELEGRAM, VIBER, is_code
from chalicelib.messaging.consent import SUBSCRIBED
from chalicelib.messaging.outbound import FAILED, REFUSED, SENT, UNSUBSCRIBED, Message
from chalicelib.ports import Ports
from chalicelib.services.messaging import chat_links, events
from chalicelib.services.messaging.consent import set_consent

log = logging.getLogger("orbit.messages")


# --- Telegram ------------------------------------------------------------------------------------------------


def telegram_update(ports: Ports, secret: str | None, update: Any) -> str:
    """Handle one webhook update (Unauthorized unless ``secret`` is the webhook's secret token); returns what
    was done: ``linked``, ``expired``, ``subscribed``, ``unsubscribed`` or ``ignored``."""
    if not chat_links.telegram_secret_valid(ports, secret):
        raise Unauthorized("The Telegram secret token does not match this stage's webhook secret")
    found = telegram_updates.parse(update)
    if found is None:
        return "ignored"
    if found.action == "start" and found.code is not None:
        if not is_code(found.code):
            return "ignored"
        return chat_links.follow(ports, found.code, TELEGRAM, found.chat_id)
    contact = _holder(ports, TELEGRAM, found.chat_id)
    if contact is None:
        return "ignored"
    if found.action == "start":
        set_consent(ports, contact, TELEGRAM, SUBSCRIBED, TELEGRAM)
        return "subscribed"
    reason = telegram_updates.BLOCKED if found.action == "blocked" else None
    set_consent(ports, contact, TELEGRAM, UNSUBSCRIBED, TELEGRAM, reason=reason)
    return "unsubscribed"


# --- Viber ---------------------------------------------------------------------------------------------------


def viber_callback(ports: Ports, raw: bytes, signature: str | None, body: Any) -> str:
    """Handle one Viber callback (Unauthorized unless ``signature`` signs ``raw`` under the auth token); returns
    ``recorded``, ``duplicate``, ``linked``, ``expired``, ``subscribed``, ``unsubscribed`` or ``ignored``."""
    if not viber_callbacks.signed(ports.senders.callback_secret(VIBER), raw, signature):
        raise Unauthorized("The Viber content signature does not verify")
    found = viber_callbacks.parse(body)
    if found is None or found.event == viber_callbacks.PING:
        return "ignored"
    at = found.at or iso(ports.clock.now())
    if found.event in viber_callbacks.MESSAGE_EVENTS:
        message = ports.messages.message_by_provider_id(VIBER, str(found.message_token))
        if message is None:
            log.info("Viber callback for no Orbit message", extra={"event": found.event})
            return "ignored"
        if found.event == "delivered":
            counter = None if message.counters.get("delivered") else "delivered"
            return _once(ports, message, "delivered", events.DELIVERED, at, counter, event_act="")
        if found.event == "seen":
            return _once(ports, message, "open", events.OPENED, at, "opened")
        reason = found.description or "Viber could not deliver it"
        outcome = _once(ports, message, "failed", events.FAILED, at, None, failure=REFUSED, reason=reason)
        with contextlib.suppress(Conflict):  # already failed, or not sent yet
            ports.messages.update_message(
                message.id,
                SENT,
                {"status": FAILED, "failure": REFUSED, "reason": reason, "updated_at": iso(ports.clock.now())},
            )
        return outcome
    user = str(found.user_id)
    if found.event == "conversation_started" and found.context and is_code(found.context):
        return chat_links.follow(ports, found.context, VIBER, user)
    contact = _holder(ports, VIBER, user)
    if contact is None or found.event == "conversation_started":
        return "ignored"
    status = SUBSCRIBED if found.event == "subscribed" else UNSUBSCRIBED
    set_consent(ports, contact, VIBER, status, VIBER)
    return status


def _holder(ports: Ports, channel: str, identifier: str) -> str | None:
    """The contact the chat was last linked to, while the chat is still where its messages on ``channel`` go (a
    chat the contact has since replaced changes nothing)."""
    key = ports.messages.chat_contact(channel, identifier)
    record = ports.contacts.load(key) if key is not None else None
    if record is None:
        return None
    to = consent.address(record.profile, record.channels, channel) or {}
    return key if str(to.get("value")) == identifier else None


def _once(
    ports: Ports,
    message: Message,
    act: str,
    kind: str,
    at: str,
    counter: str | None,
    event_act: str | None = None,
    **extra: Any,
) -> str:
    """Announce ``act`` (and count ``counter``) the first time it happens to the message, as SES callbacks and
    tracking do; ``duplicate`` when it was announced before."""
    mark = ports.messages.mark(message.id, act, at)
    if mark.done:
        return "duplicate"
    events.publish(ports, message, kind, mark.at, act=act if event_act is None else event_act, **extra)
    if counter is not None:
        ports.messages.count(message.id, counter, mark.at)
    ports.messages.mark_done(message.id, act)
    return "recorded"
