"""Ports of the queues: publishing messages, the dead-letter queues and the queues' counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.messages import DeadLetter, QueueMessage, Stream


class Publisher(Protocol):
    """Queues messages for the consumers; each message travels on its kind's stream."""

    def publish(self, messages: Sequence[QueueMessage]) -> None:
        """Queue every message or raise Retryable (then some may have been queued: consumers dedupe)."""
        ...


class DeadLetters(Protocol):
    """Each stream's dead-letter queue: what failed for good, to look at and to send back."""

    def park(self, stream: Stream, body: str, reason: str) -> None:
        """Put a body that can never be processed on the stream's dead-letter queue, with its reason."""
        ...

    def peek(self, stream: Stream, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` parked bodies, oldest first where the queue allows, leaving them parked."""
        ...

    def redrive(self, stream: Stream, limit: int) -> int:
        """Send up to ``limit`` parked bodies back to the stream's queue (each once); returns how many."""
        ...


@dataclass(frozen=True)
class QueueState:
    """A stream's queue at a glance: messages waiting, being processed, the age of the oldest (None: unknown, no
    recent CloudWatch datapoint or it could not be read), and messages parked on its dead-letter queue."""

    depth: int
    in_flight: int
    oldest_age_seconds: float | None
    dead_letters: int


class QueueStatus(Protocol):
    """How much waits on each stream's queue and its dead-letter queue (health checks, ``queues status``)."""

    def status(self, stream: Stream) -> QueueState:
        """The stream's counts (approximate, as SQS keeps them); Retryable when the queue cannot be read."""
        ...
