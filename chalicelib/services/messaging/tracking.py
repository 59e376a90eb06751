"""What recipients do with a message, from its signed links: opening it (the pixel), clicking a link, and
unsubscribing.

Each act counts on the message every time (``opened``, ``clicked``: how often) and becomes an event on the
contact the first time (per message for opens and unsubscribes, per link for clicks): ``Message Opened``,
``Message Clicked`` (with its ``url``), ``Message Unsubscribed``. The first time is a mark on the message,
written before the event is published and noted done after, so a failure in between publishes the same event
(same id, same time) on the next hit instead of losing it.

Links are checked before anything is recorded: a token Orbit did not sign is refused (a click never redirects
to a URL nobody signed), an expired one still works (an old email's link still opens its page) but counts
nothing. An unsubscribe link keeps working for two years.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from chalicelib.clock import iso
from chalicelib.messaging.consent import SUBSCRIBED
from chalicelib.messaging.links import CLICK, OPEN, UNSUBSCRIBE, BadLink, LinkClaims
from chalicelib.messaging.outbound import UNSUBSCRIBED, Message
from chalicelib.ports import Ports
from chalicelib.services.messaging import events
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.messaging.signing import signer

log = logging.getLogger("orbit.messages")


def opened(ports: Ports, token: str) -> None:
    """Count an open (the pixel was loaded); a token that is not one of ours is ignored (the pixel still shows)."""
    try:
        claims = signer(ports).verify(token, OPEN)
    except BadLink:
        return
    if claims.live(ports.clock.now()):
        _act(ports, claims, "open", "opened", events.OPENED)


def clicked(ports: Ports, token: str) -> str:
    """Count a click and return where it leads. BadLink for a token Orbit did not sign (nothing redirects)."""
    claims = signer(ports).verify(token, CLICK)
    assert claims.url is not None  # verify refuses a click token without an http(s) URL
    if claims.live(ports.clock.now()):
        link = hashlib.sha256(claims.url.encode("utf-8")).hexdigest()[:16]
        _act(ports, claims, f"click:{link}", "clicked", events.CLICKED, url=claims.url)
    return claims.url


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link is about: the channel, and whether the contact is unsubscribed from it."""

    channel: str
    unsubscribed: bool
    live: bool  # the link has not expired


def unsubscribe_link(ports: Ports, token: str) -> Unsubscribe:
    """What the link's page shows (BadLink for a token Orbit did not sign)."""
    claims = signer(ports).verify(token, UNSUBSCRIBE)
    record = ports.contacts.load(claims.contact_key)
    entry = ((record.profile.get("consent") or {}) if record else {}).get(claims.channel) or {}
    return Unsubscribe(claims.channel, entry.get("status") == UNSUBSCRIBED, claims.live(ports.clock.now()))


def unsubscribe(ports: Ports, token: str, source: str) -> Unsubscribe:
    """Unsubscribe the link's contact from the link's channel (``source``: ``link`` for the page's button,
    ``one-click`` for a mail client's RFC 8058 request). BadLink for a token Orbit did not sign; an expired link
    changes nothing."""
    claims = signer(ports).verify(token, UNSUBSCRIBE)
    if not claims.live(ports.clock.now()):
        return Unsubscribe(claims.channel, False, False)
    set_consent(ports, claims.contact_key, claims.channel, UNSUBSCRIBED, source)
    _act(ports, claims, "unsubscribe", "unsubscribed", events.UNSUBSCRIBED, count_every=False, via=source)
    log.info("unsubscribed", extra={"messageId": claims.message_id, "channel": claims.channel, "source": source})
    return Unsubscribe(claims.channel, True, True)


def resubscribe(ports: Ports, token: str) -> Unsubscribe:
    """Undo an unsubscribe from the same link (the page's "subscribe again"); BadLink as ``unsubscribe``."""
    claims = signer(ports).verify(token, UNSUBSCRIBE)
    if not claims.live(ports.clock.now()):
        return Unsubscribe(claims.channel, True, False)
    set_consent(ports, claims.contact_key, claims.channel, SUBSCRIBED, "link")
    return Unsubscribe(claims.channel, False, True)


def _act(
    ports: Ports,
    claims: LinkClaims,
    act: str,
    counter: str,
    kind: str,
    count_every: bool = True,
    **extra: str,
) -> None:
    message: Message | None = ports.messages.message(claims.message_id)
    if message is None:  # gone (past its retention): nothing to count
        return
    now = iso(ports.clock.now())
    if count_every:
        ports.messages.count(message.id, counter, now)
    mark = ports.messages.mark(message.id, act, now)
    if mark.done:
        return
    events.publish(ports, message, kind, mark.at, act=act, **extra)
    if not count_every:
        ports.messages.count(message.id, counter, mark.at)
    ports.messages.mark_done(message.id, act)
