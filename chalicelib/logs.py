"""Structured logs: every ``orbit.*`` logger writes one JSON object per line (Powertools' formatter), carrying
the correlation id of the HTTP request or SQS batch it runs in.

The id of the request that queued a message travels with it (an SQS message attribute set by the queue
adapter), and the consumer logs, per batch, which request each record came from, so an event can be
followed from the request that accepted it to the contact write that stored it. Keys live in a context
variable, so the local runtime's concurrent threads never mix them.

``ORBIT_LOG_FORMAT=text`` (``make run`` sets it unless the user chose ``json``) renders the same records as
short lines for a terminal instead: ``12:00:01 POST /v1/events 202 41ms``, ``12:00:02 consumer: 100 records,
12 contacts, 0 failed``. To stay readable it keeps, below WARNING, only those two and the local runtime's own
notices (``orbit.local``); the per-contact and per-batch detail is in the JSON lines.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

ROOT = "orbit"
CORRELATION_ID = "correlation_id"  # the log key, and the SQS message attribute carrying a request's id
FORMATTER = LambdaPowertoolsFormatter(service=ROOT, utc=True)
_HANDLER_NAME = "orbit-json"
FORMAT_VARIABLE = "ORBIT_LOG_FORMAT"
FORMATS = ("json", "text")


class TextFormatter(logging.Formatter):
    """One short line per record, for a person at a terminal (``make run``); JSON stays the default."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = record.__dict__
        if record.getMessage() == "batch applied" and "records" in fields:
            text = (
                f"consumer: {fields['records']} records, {fields.get('contacts', 0)} contacts, "
                f"{fields.get('failed', 0)} failed"
            )
        elif {"method", "path", "status", "ms"} <= fields.keys():
            text = f"{fields['method']} {fields['path']} {fields['status']} {fields['ms']}ms"
        else:
            text = record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"{record.levelname}: {text}"
        line = f"{stamp} {text}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _readable(record: logging.LogRecord) -> bool:
    """What the text format shows: warnings and errors, request and consumer-batch lines, the runtime's notices."""
    return (
        record.levelno >= logging.WARNING
        or record.name == "orbit.local"
        or record.name.startswith("orbit.local.")
        or record.msg == "batch applied"
    )


def log_format(environ: dict[str, str] | None = None) -> str:
    """``json`` (the default, and Lambda's) or ``text``, from ``ORBIT_LOG_FORMAT``."""
    value = (os.environ if environ is None else environ).get(FORMAT_VARIABLE, "").strip().lower()
    return value if value in FORMATS else "json"


def configure(level: int | str = logging.INFO, stream: IO[str] | None = None, fmt: str | None = None) -> None:
    """Send ``orbit.*`` records to ``stream`` (stdout: Lambda ships it to CloudWatch) as JSON lines, or as short
    text lines when ``fmt`` (default: ``ORBIT_LOG_FORMAT``) is ``text``. Idempotent."""
    root = logging.getLogger(ROOT)
    root.setLevel(level)
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    if (fmt or log_format()) == "text":
        handler.setFormatter(TextFormatter())
        handler.addFilter(_readable)
    else:
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
