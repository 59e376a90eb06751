"""In-memory ``Publisher``: what was published, per stream, in order, as a consumer would parse it."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.errors import OrbitError
from chalicelib.messages import QueueMessage, Stream, parse_message
from chalicelib.ports import Publisher


class FakePublisher:
    """Records each message on ``message.stream`` as its consumer would parse it from the queue body (a
    message that does not survive the trip fails at ``publish``, not later in a test's consumer). While
    ``failure`` is set, ``publish`` raises it (e.g. ``Retryable``) and queues nothing."""

    def __init__(self) -> None:
        self.published: dict[Stream, list[QueueMessage]] = {"events": [], "imports": []}
        self.raw: dict[Stream, list[str]] = {"events": [], "imports": []}  # bodies sent back by a redrive
        self.failure: OrbitError | None = None

    def publish(self, messages: Sequence[QueueMessage]) -> None:
        if self.failure is not None:
            raise self.failure
        parsed = [(message.stream, parse_message(message.body())) for message in messages]
        for stream, message in parsed:
            self.published[stream].append(message)

    def messages(self, stream: Stream = "events") -> list[QueueMessage]:
        """What is queued on ``stream`` (still queued)."""
        return list(self.published[stream])

    def drain(self, stream: Stream = "events") -> list[QueueMessage]:
        """Take everything queued on ``stream``, oldest first."""
        taken, self.published[stream] = self.published[stream], []
        return taken

    def drain_records(self, stream: Stream = "events") -> list[tuple[str, str]]:
        """Take everything queued on ``stream`` as ``(message id, body)`` records, as a consumer gets them."""
        return [(f"{stream}-{n}", m.body()) for n, m in enumerate(self.drain(stream))]


_: Publisher = FakePublisher()
