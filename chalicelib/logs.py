"""Structured logs: every ``orbit.*`` logger writes one JSON object per line (Powertools' formatter), carrying
the correlation id of the HTTP request or SQS batch it runs in.

The id of the request that queued a message travels with it (an SQS message attribute set by the queue
adapter), and the consumer logs, per batch, which request each record came from, so an event can be
followed from the request that accepted it to the contact write that stored it. Keys live in a context
variable, so the local runtime's concurrent threads never mix them.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

ROOT = "orbit"
CORRELATION_ID = "correlation_id"  # the log key, and the SQS message attribute carrying a request's id
FORMATTER = LambdaPowertoolsFormatter(service=ROOT, utc=True)
_HANDLER_NAME = "orbit-json"


def configure(level: int | str = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send ``orbit.*`` records as JSON lines to ``stream`` (stdout: Lambda ships it to CloudWatch). Idempotent."""
    root = logging.getLogger(ROOT)
    root.setLevel(level)
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(FORMATTER)
    root.addHandler(handler)
    root.propagate = False


def new_id() -> str:
    return uuid.uuid4().hex


def correlation_id() -> str | None:
    """The correlation id of the request or batch this code runs in, if any."""
    value = FORMATTER.thread_safe_get_current_keys().get(CORRELATION_ID)
    return str(value) if value else None


@contextmanager
def correlated(correlation: str, **keys: Any) -> Iterator[str]:
    """Tag every log line inside the block with ``correlation_id`` (and ``keys``); restores what was there."""
    saved = dict(FORMATTER.thread_safe_get_current_keys())
    FORMATTER.thread_safe_append_keys(**{CORRELATION_ID: correlation, **keys})
    try:
        yield correlation
    finally:
        FORMATTER.thread_safe_clear_keys()
        if saved:
            FORMATTER.thread_safe_append_keys(**saved)
