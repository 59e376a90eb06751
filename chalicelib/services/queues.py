"""Queue use cases for operators and health checks: how much waits, is in flight and is parked, per stream."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.messages import Stream
from chalicelib.ports import Ports, QueueState

STREAMS: tuple[Stream, ...] = ("events", "imports")


def status(ports: Ports, streams: tuple[str, ...] = STREAMS) -> dict[Stream, QueueState]:
    """Each named stream's counts, in the order given; InvalidInput for an unknown stream, Retryable when a
    queue cannot be read."""
    checked: list[Stream] = []
    for name in streams:
        if name not in STREAMS:
            raise InvalidInput("Unknown stream", [ErrorDetail("queue", f"must be one of {', '.join(STREAMS)}")])
        checked.append("events" if name == "events" else "imports")
    return {stream: ports.queue_status.status(stream) for stream in checked}


def as_json(state: QueueState) -> dict[str, Any]:
    """The API's and the CLI's shape of one stream's counts."""
    return {
        "depth": state.depth,
        "inFlight": state.in_flight,
        "oldestAgeSeconds": state.oldest_age_seconds,
        "deadLetters": state.dead_letters,
    }
