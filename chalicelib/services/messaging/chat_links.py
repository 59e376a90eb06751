"""Linking a Telegram chat or a Viber user to a contact: making the deep link, and following it when the person
opens the bot (``/start <code>``, Viber's ``conversation_started`` with the code as ``context``).

Following a link writes the chat id (or Viber user id) as the contact's latest ``telegram``/``viber`` channel
identifier through the contact upsert (so the change is announced like any other, and it is where the senders
read it), remembers which contact the chat is (``MessageStore.remember_chat``: the bots' unsubscribes name only
the chat) and sets the channel's consent ``subscribed`` (the person asked for the chat). Following it again
changes nothing.

The Telegram webhook's ``secret_token`` is derived from the stage's link secret (HMAC-SHA256 of
``telegram-webhook``), so there is nothing more to configure; every secret of a rotation verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import Permanent
from chalicelib.messaging.chat_links import (
    LINK_DAYS,
    TELEGRAM,
    VIBER,
    LinkCode,
    new_code,
    telegram_link,
    viber_link,
    with_identifier,
)
from chalicelib.messaging.consent import SUBSCRIBED
from chalicelib.ports import Ports
from chalicelib.services import contacts
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.messaging.signing import stage_secrets

log = logging.getLogger("orbit.messages")
WEBHOOK_LABEL = b"telegram-webhook"


@dataclass(frozen=True)
class ChatLink:
    url: str
    code: str
    expires_at: str


def make_link(ports: Ports, external_id: str, channel: str) -> ChatLink:
    """A deep link that links the contact ``external_id`` to the chat that follows it (NotFound: no such
    contact; Permanent: the stage has no bot username or chat URI)."""
    if channel == TELEGRAM and not ports.settings.telegram_bot_username:
        raise Permanent("Set ORBIT_TELEGRAM_BOT_USERNAME to the bot's username to make Telegram links")
    if channel == VIBER and not ports.settings.viber_chat_uri:
        raise Permanent("Set ORBIT_VIBER_CHAT_URI to the bot's chat URI to make Viber links")
    record = contacts.get(ports, external_id)
    expires = ports.clock.now() + timedelta(days=LINK_DAYS)
    link = LinkCode(new_code(), record.key, channel, int(expires.timestamp()))
    ports.messages.remember_link_code(link)
    url = (
        telegram_link(ports.settings.telegram_bot_username, link.code)
        if channel == TELEGRAM
        else viber_link(ports.settings.viber_chat_uri, link.code)
    )
    return ChatLink(url, link.code, iso(expires))


def follow(ports: Ports, code: str, channel: str, identifier: str) -> str:
    """Link the chat ``identifier`` to the contact ``code`` stands for; returns ``linked``, or ``expired`` /
    ``ignored`` (an unknown code, one made for another channel, or a contact that is gone)."""
    link = ports.messages.link_code(code)
    if link is None or link.channel != channel:
        log.info("unknown chat link code", extra={"channel": channel})
        return "ignored"
    if not link.live(ports.clock.now()):
        log.info("expired chat link code", extra={"channel": channel})
        return "expired"
    external_id = keys.external_id(link.contact_key)
    record = ports.contacts.load(link.contact_key)
    if external_id is None or record is None:
        return "ignored"
    channels = with_identifier([dict(c) for c in record.channels], channel, identifier)
    if channels is not None:
        contacts.upsert(ports, external_id, ContactIn.model_validate({"channels": channels}))
    ports.messages.remember_chat(channel, identifier, link.contact_key)
    set_consent(ports, link.contact_key, channel, SUBSCRIBED, channel)
    log.info("chat linked", extra={"channel": channel})
    return "linked"


def _webhook_secret(secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), WEBHOOK_LABEL, hashlib.sha256).hexdigest()


def telegram_webhook_secret(ports: Ports) -> str:
    """The ``secret_token`` to give Telegram's ``setWebhook`` (64 hex characters, within Telegram's alphabet)."""
    return _webhook_secret(stage_secrets(ports)[0])


def telegram_secret_valid(ports: Ports, presented: str | None) -> bool:
    """Whether ``presented`` (the ``X-Telegram-Bot-Api-Secret-Token`` header) is the webhook secret of one of the
    stage's link secrets (constant time)."""
    if not presented:
        return False
    return any(hmac.compare_digest(_webhook_secret(s), presented) for s in stage_secrets(ports))
