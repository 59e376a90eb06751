"""In-memory ``QueueStatus``: reads the fake publisher's queues and the fake dead-letter queues."""

from __future__ import annotations

from chalicelib.messages import Stream
from chalicelib.ports import QueueState, QueueStatus
from tests.fakes.dead_letters import FakeDeadLetters
from tests.fakes.publisher import FakePublisher


class FakeQueueStatus:
    """Waiting: what ``publisher`` holds on the stream (parsed and raw); parked: ``dead_letters``'. Nothing is ever
    in flight (fakes hand messages over at once); ``oldest`` sets the reported age of the oldest message."""

    def __init__(self, publisher: FakePublisher, dead_letters: FakeDeadLetters) -> None:
        self.publisher = publisher
        self.dead_letters = dead_letters
        self.oldest: dict[Stream, float | None] = {"events": None, "imports": None}

    def status(self, stream: Stream) -> QueueState:
        return QueueState(
            depth=len(self.publisher.published[stream]) + len(self.publisher.raw[stream]),
            in_flight=0,
            oldest_age_seconds=self.oldest[stream],
            dead_letters=len(self.dead_letters.parked[stream]),
        )


_: QueueStatus = FakeQueueStatus(FakePublisher(), FakeDeadLetters(FakePublisher()))
