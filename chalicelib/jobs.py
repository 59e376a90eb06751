"""Edges for Lambda's event sources: SQS batches and schedules. Each runs one use case inside a correlation
id of its own and answers in Lambda's shape (``batchItemFailures`` for partial batch retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib import logs
from chalicelib.deps import consumer, ports

# Use cases are imported by the job that runs them: each Lambda function runs one job, and every one of them
# imports this module (through app.py) at its cold start.

log = logging.getLogger("orbit.jobs")
Records = list[tuple[str, str]]


def run_batch(
    name: str, raw_records: list[Mapping[str, Any]], process: Callable[[Records, set[str]], list[str]]
) -> dict[str, Any]:
    """Process an SQS batch; log which request queued each record; report the records that failed.
    ``process`` gets the records and the ids of those delivered before (receive count above 1)."""
    records = [(str(r["messageId"]), str(r["body"])) for r in raw_records]
    retried = {
        str(r["messageId"])
        for r in raw_records
        if int((r.get("attributes") or {}).get("ApproximateReceiveCount", "1") or 1) > 1
    }
    with logs.correlated(logs.new_id(), job=name):
        log.info(
            "batch received",
            extra={"records": len(records), "from_requests": {str(r["messageId"]): _origin(r) for r in raw_records}},
        )
        failed = process(records, retried)
        if failed:
            log.warning("batch finished with failures", extra={"failed": failed})
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}


def _origin(record: Mapping[str, Any]) -> str | None:
    attribute = (record.get("messageAttributes") or {}).get(logs.CORRELATION_ID) or {}
    value = attribute.get("stringValue")
    return str(value) if value else None


def consume_events(raw_records: list[Mapping[str, Any]]) -> dict[str, Any]:
    return run_batch(
        "consume_events", raw_records, lambda records, retried: consumer(ports()).process(records, retried)
    )


def consume_imports(raw_records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The background stream: contact-import chunks, list member chunks and segment computation parts."""
    from chalicelib.services import background

    return run_batch("consume_imports", raw_records, lambda records, _retried: background.consume(ports(), records))


def sweep(name: str = "sweep_counters") -> dict[str, int]:
    from chalicelib.services.maintenance import sweep_counters

    with logs.correlated(logs.new_id(), job=name):
        result = sweep_counters(ports())
        log.info("sweep finished", extra=result)
        return result


def sweep_segments(name: str = "sweep_segments") -> dict[str, int]:
    from chalicelib.services.segments.sweep import sweep as sweep_due

    with logs.correlated(logs.new_id(), job=name):
        return sweep_due(ports()).as_dict()


def campaigns_due(name: str = "campaigns_due") -> dict[str, int]:
    """Queue what campaigns have due: scheduled starts and sends deferred to the contacts' send hours."""
    from chalicelib.services.messaging import campaigns

    with logs.correlated(logs.new_id(), job=name):
        return {"queued": campaigns.sweep_due(ports())}
