"""The sandbox sender: every channel's messages are kept, not delivered.

It stores what a recipient would get (the address, the rendered content, the headers) in the messages table's
outbox, where ``GET /v1/outbox`` and the ``/outbox`` page show it, and reports the message delivered at once. It
is idempotent by message id (the outbox keeps the first copy), so a send retried after a crash stores nothing
twice. Locally, and on any stage that names no provider for a channel, it is that channel's sender.
"""

from __future__ import annotations

from chalicelib.clock import Clock, iso
from chalicelib.messaging.outbound import SANDBOX as NAME
from chalicelib.messaging.outbound import OutboxItem, Outgoing, SendResult
from chalicelib.ports import MessageStore


class SandboxSender:
    """``Sender`` for any channel, keeping messages in ``store``'s outbox."""

    name = NAME
    idempotent = True

    def __init__(self, store: MessageStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def send(self, message: Outgoing) -> SendResult:
        now = iso(self.clock.now())
        provider_id = f"sandbox-{message.message_id}"
        self.store.record_outbox(OutboxItem(message=message, provider_id=provider_id, sent_at=now))
        return SendResult(provider=NAME, provider_id=provider_id, delivered_at=now)
