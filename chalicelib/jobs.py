"""Edges for Lambda's event sources: SQS batches and schedules. Each runs one use case inside a correlation
id of its own and answers in Lambda's shape (``batchItemFailures`` for partial batch retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib import logs
from chalicelib.deps import consumer, ports
from chalicelib.services import imports
from chalicelib.services.maintenance import sweep_counters

log = logging.getLogger("orbit.jobs")
Records = list[tuple[str, str]]


def run_batch(
    name: str, raw_records: list[Mapping[str, Any]], process: Callable[[Records], list[str]]
) -> dict[str, Any]:
    """Process an SQS batch; log which request queued each record; report the records that failed."""
    records = [(str(r["messageId"]), str(r["body"])) for r in raw_records]
    with logs.correlated(logs.new_id(), job=name):
        log.info(
            "batch received",
            extra={"records": len(records), "from_requests": {str(r["messageId"]): _origin(r) for r in raw_records}},
        )
        failed = process(records)
        if failed:
            log.warning("batch finished with failures", extra={"failed": failed})
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}


def _origin(record: Mapping[str, Any]) -> str | None:
    attribute = (record.get("messageAttributes") or {}).get(logs.CORRELATION_ID) or {}
    value = attribute.get("stringValue")
    return str(value) if value else None


def consume_events(raw_records: list[Mapping[str, Any]]) -> dict[str, Any]:
    return run_batch("consume_events", raw_records, lambda records: consumer(ports()).process(records))


def consume_imports(raw_records: list[Mapping[str, Any]]) -> dict[str, Any]:
    return run_batch("consume_imports", raw_records, lambda records: imports.consume(ports(), records))


def sweep(name: str = "sweep_counters") -> dict[str, int]:
    with logs.correlated(logs.new_id(), job=name):
        result = sweep_counters(ports())
        log.info("sweep finished", extra=result)
        return result
