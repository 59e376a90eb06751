"""Reading queue records: a body that can never be parsed is parked on its stream's dead-letter queue at
once, with its reason, instead of failing five times first."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from chalicelib.messages import QueueMessage, Stream, parse_message
from chalicelib.ports import Ports

log = logging.getLogger("orbit.consumer")


def parse_or_park(ports: Ports, stream: Stream, record_id: str, body: str) -> QueueMessage | None:
    """The record's message; None when it is poison and was parked (raises if parking failed, so the record
    is retried instead of lost)."""
    try:
        message = parse_message(body)
    except (ValueError, ValidationError) as exc:
        reason = f"cannot be parsed: {_first_line(exc)}"
    else:
        if message.stream == stream:
            return message
        reason = f"{message.kind!r} messages belong on the {message.stream} stream, not {stream}"
    ports.dead_letters.park(stream, body, reason)
    log.error("poison record parked on the dead-letter queue", extra={"record": record_id, "reason": reason})
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:500]
