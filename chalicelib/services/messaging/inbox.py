"""The app inbox as the shop's app uses it: the per-contact token the shop's server asks for, the contact's items
newest first with the unread count, marking an item read, and hiding one.

A token is ``<payload>.<mac>``, both base64url without padding: the payload is compact JSON ``[1, "inbox",
contact key, expiry (epoch seconds)]`` and the mac the first 16 bytes of HMAC-SHA256 over the payload's text under
a key derived from each of the stage's link secrets (``signing.py``: ``ORBIT_LINK_SECRET``, else the stored one),
so a token verifies under any secret in rotation and can never pass for a link token, or a link token for it. It
is bound to one contact and expires after ``TOKEN_DAYS``; the shop's server asks for a fresh one when it logs the
customer in. A token that does not verify or has expired is a 401; an item of another contact's inbox is not there
for this token (a 404), whatever its message id.

Reading an item counts as opening the message: the ``opened`` counter moves once and ``Message Opened`` is
published once, through the open pixel's path (``tracking.py``, its first-time mark on the message), however often
the app marks it read. The item's link, when it is an http(s) URL, is listed as a tracked click link (as in
emails), so a tap counts ``clicked`` and publishes ``Message Clicked``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, NotFound, Unauthorized
from chalicelib.messaging.links import CLICK, OPEN, TRACKING_DAYS, LinkClaims, is_web_url, seal, unseal, url_for
from chalicelib.ports import InboxItem, Ports
from chalicelib.services import contacts
from chalicelib.services.messaging import events, tracking
from chalicelib.services.messaging.signing import signer, stage_secrets

CHANNEL = "appinbox"
TOKEN_DAYS = 30
VERSION = 1
KIND = "inbox"
MAX_TOKEN = 2048
_DERIVE = b"orbit/app-inbox-token/v1"


# --- tokens -------------------------------------------------------------------------------------------------------


def _keys(ports: Ports) -> list[bytes]:
    return [hmac.new(s.encode("utf-8"), _DERIVE, hashlib.sha256).digest() for s in stage_secrets(ports)]


@dataclass(frozen=True)
class InboxToken:
    token: str
    expires_at: str  # ISO


def issue_token(ports: Ports, external_id: str) -> InboxToken:
    """A token for the contact's inbox, valid ``TOKEN_DAYS``. NotFound: no such contact."""
    record = contacts.get(ports, external_id)
    expires = ports.clock.now() + timedelta(days=TOKEN_DAYS)
    token = seal(_keys(ports)[0], [VERSION, KIND, record.key, int(expires.timestamp())])
    return InboxToken(token, iso(expires))


def _unauthorized(reason: str) -> Unauthorized:
    return Unauthorized(
        "An inbox token is required: Authorization: Bearer <token from POST /v1/contacts/{externalId}/inbox-token>",
        [ErrorDetail("Authorization", reason)],
    )


def contact_of(ports: Ports, authorization: str | None) -> str:
    """The contact key an ``Authorization: Bearer <token>`` header's live token is bound to; Unauthorized (401)
    when there is none, or it is not one of ours or has expired."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("must be Bearer <inbox token>")
    fields = unseal(token, _keys(ports), MAX_TOKEN)
    if (
        not isinstance(fields, list)
        or len(fields) != 4
        or fields[:2] != [VERSION, KIND]
        or not isinstance(fields[2], str)
        or not isinstance(fields[3], int)
    ):
        raise _unauthorized("is not an inbox token Orbit made")
    if ports.clock.now().timestamp() >= fields[3]:
        raise _unauthorized("has expired; ask the shop's server for a new one")
    return fields[2]


# --- the inbox ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    unread: int
    cursor: str | None


def _tracked(ports: Ports, item: InboxItem, base: str) -> InboxItem:
    """``item`` with its http(s) link pointed at a tracked click link under ``base`` (other links, an app's deep
    links, stay as they are; so does every link when there is no base)."""
    if not item.link or not base or not is_web_url(item.link):
        return item
    until = int((datetime.fromisoformat(item.created_at) + timedelta(days=TRACKING_DAYS)).timestamp())
    claims = LinkClaims(CLICK, item.message_id, item.contact_key, CHANNEL, until, item.link)
    return replace(item, link=url_for(base, CLICK, signer(ports).sign(claims)))


def page(ports: Ports, contact_key: str, limit: int, cursor: str | None = None, base: str = "") -> InboxPage:
    """The contact's live items newest first (links tracked under ``settings.public_url``, else ``base``), the
    unread count, and the next page's cursor. InvalidInput: a cursor not from this contact's inbox."""
    now = ports.clock.now()
    items, next_cursor = ports.inbox.items(contact_key, now, limit, cursor)
    link_base = ports.settings.public_url or base
    return InboxPage([_tracked(ports, i, link_base) for i in items], ports.inbox.unread(contact_key, now), next_cursor)


def _missing(message_id: str) -> NotFound:
    return NotFound(
        f"No message {message_id!r} in this inbox", [ErrorDetail("messageId", "is not in this contact's inbox")]
    )


def read(ports: Ports, contact_key: str, message_id: str) -> InboxItem:
    """Mark the item read and count the message opened (once: a second read changes nothing). NotFound: not in
    the contact's inbox (another contact's, expired or hidden)."""
    now = ports.clock.now()
    if ports.inbox.item(contact_key, message_id, now) is None:
        raise _missing(message_id)
    ports.inbox.mark_read(contact_key, message_id, now)
    # the open pixel's path (tracking.py), counting only the first time: its first-time mark on the message makes
    # every later read count nothing, and a read retried after a crash publishes the same event
    claims = LinkClaims(OPEN, message_id, contact_key, CHANNEL, int(now.timestamp()) + 1)
    tracking._act(ports, claims, "open", "opened", events.OPENED, count_every=False)
    stored = ports.inbox.item(contact_key, message_id, now)
    if stored is None:  # hidden in between
        raise _missing(message_id)
    return stored


def hide(ports: Ports, contact_key: str, message_id: str) -> None:
    """Take the item out of the contact's inbox. NotFound: not in it (another contact's, expired, hidden before)."""
    if not ports.inbox.hide(contact_key, message_id, ports.clock.now()):
        raise _missing(message_id)
