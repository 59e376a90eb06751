"""In-memory ``DeadLetters``: parked bodies per stream, and where a redrive sends them."""

from __future__ import annotations

import itertools

from chalicelib.messages import DeadLetter, Stream
from chalicelib.ports import DeadLetters
from tests.fakes.publisher import FakePublisher


class FakeDeadLetters:
    """``parked[stream]``: the dead letters, oldest first; a redrive hands bodies to ``publisher``'s queue."""

    def __init__(self, publisher: FakePublisher) -> None:
        self.publisher = publisher
        self.parked: dict[Stream, list[DeadLetter]] = {"events": [], "imports": []}
        self._ids = itertools.count(1)

    def park(self, stream: Stream, body: str, reason: str) -> None:
        self.parked[stream].append(
            DeadLetter(message_id=f"dl-{next(self._ids)}", body=body, reason=reason, receive_count=0, sent_at="")
        )

    def peek(self, stream: Stream, limit: int) -> list[DeadLetter]:
        return list(self.parked[stream][: max(limit, 0)])

    def redrive(self, stream: Stream, limit: int) -> int:
        moving, self.parked[stream] = self.parked[stream][: max(limit, 0)], self.parked[stream][max(limit, 0) :]
        self.publisher.raw[stream].extend(letter.body for letter in moving)
        return len(moving)


_: DeadLetters = FakeDeadLetters(FakePublisher())
