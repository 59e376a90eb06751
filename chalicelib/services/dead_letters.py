"""Dead-letter use cases for operators: see what failed for good on a stream, and send it back."""

from __future__ import annotations

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.messages import DeadLetter, Stream
from chalicelib.ports import Ports

STREAMS: tuple[Stream, ...] = ("events", "imports")
MAX_LIMIT = 10_000


def _check(stream: str, limit: int) -> Stream:
    if stream not in STREAMS:
        raise InvalidInput("Unknown stream", [ErrorDetail("queue", f"must be one of {', '.join(STREAMS)}")])
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("Limit out of range", [ErrorDetail("limit", f"must be from 1 to {MAX_LIMIT}")])
    checked: Stream = "events" if stream == "events" else "imports"
    return checked


def parked(ports: Ports, stream: str, limit: int = 50) -> list[DeadLetter]:
    """Up to ``limit`` dead letters of ``stream``, oldest first, left where they are."""
    return ports.dead_letters.peek(_check(stream, limit), limit)


def redrive(ports: Ports, stream: str, limit: int = MAX_LIMIT) -> int:
    """Send up to ``limit`` dead letters back to ``stream``'s queue; how many went."""
    return ports.dead_letters.redrive(_check(stream, limit), limit)
