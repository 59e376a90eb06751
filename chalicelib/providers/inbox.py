"""The app inbox sender: an ``appinbox`` message is delivered by storing it in the contact's inbox
(``InboxStore``), where the shop's app reads it through ``GET /v1/inbox`` (docs/inbox.md).

The item keeps the rendered title, body, image and link, the message's creation time, and its expiry: the
template's ``expiresInDays`` after the message was created (absent: kept until the app hides it). The link is kept
as rendered; the inbox API wraps an http(s) link in a tracked click link when it lists the item (it has the stage's
signer and public URL, a sender has neither). Storing is idempotent by message id, so a send retried after a crash
stores one item, and the message is delivered at once.

On the ``local`` stage (``orbit local``) it also keeps the sandbox's copy in the outbox, so the ``/outbox`` page
shows inbox messages next to the rest; elsewhere the outbox would only grow with production messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.clock import Clock, iso
from chalicelib.messaging.outbound import OutboxItem, Outgoing, SendResult
from chalicelib.ports import InboxItem, InboxStore, MessageStore

NAME = "inbox"
LOCAL_STAGE = "local"


def inbox_item(message: Outgoing, now: datetime) -> InboxItem:
    """The inbox item of a rendered ``appinbox`` message (``now`` dates it when the message has no creation time)."""
    content = message.content
    created = message.created_at or iso(now)
    days = content.get("expiresInDays")
    expires = iso(datetime.fromisoformat(created) + timedelta(days=days)) if isinstance(days, int) else None
    return InboxItem(
        message_id=message.message_id,
        contact_key=message.contact_key,
        title=str(content.get("title") or ""),
        created_at=created,
        body=content.get("body"),
        image=content.get("image"),
        link=content.get("link"),
        expires_at=expires,
    )


class InboxSender:
    """``Sender`` for ``appinbox``, storing messages in ``inbox`` (and, locally, the sandbox's copy in ``outbox``)."""

    name = NAME
    idempotent = True

    def __init__(self, inbox: InboxStore, clock: Clock, outbox: MessageStore | None = None) -> None:
        self.inbox = inbox
        self.clock = clock
        self.outbox = outbox

    def send(self, message: Outgoing) -> SendResult:
        now = self.clock.now()
        self.inbox.add(inbox_item(message, now))
        provider_id = f"inbox-{message.message_id}"
        if self.outbox is not None:
            self.outbox.record_outbox(OutboxItem(message=message, provider_id=provider_id, sent_at=iso(now)))
        return SendResult(provider=NAME, provider_id=provider_id, delivered_at=iso(now))
