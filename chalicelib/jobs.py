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


def workflow_schedules(name: str = "workflow_schedules") -> dict[str, int]:
    """Queue the scheduled workflow runs that are due (the first page of each run's segment members)."""
    from chalicelib.services.workflows import schedules

    with logs.correlated(logs.new_id(), job=name):
        return {"queued": schedules.due(ports())}


def recommendations(name: str = "recommendations") -> dict[str, object]:
    """Rebuild the precomputed recommendation lists from the events and the catalog (logs what it read and the
    write units it spent)."""
    from chalicelib.services.recommendations import build

    with logs.correlated(logs.new_id(), job=name):
        return build.rebuild(ports()).as_dict()


def reorder_due(name: str = "reorder_due") -> dict[str, object]:
    """Publish the ``Reorder Due`` events of the products contacts are expected to buy again soon."""
    from chalicelib.services import reorder

    with logs.correlated(logs.new_id(), job=name):
        return reorder.scan(ports()).as_dict()


def sns_delivery_status(event: Mapping[str, Any], name: str = "sns_delivery_status") -> dict[str, int]:
    """Apply SNS delivery status records a CloudWatch Logs subscription hands over (``awslogs.data``: base64 of
    gzipped JSON whose ``logEvents[].message`` are the records); a message that is not JSON is skipped."""
    import base64
    import gzip
    import json

    from chalicelib.services.messaging import sns_status

    data = json.loads(gzip.decompress(base64.b64decode(str((event.get("awslogs") or {}).get("data") or ""))))
    records = []
    # CloudWatch Logs checks the destination with a CONTROL_MESSAGE when the filter is made: it holds no records
    delivered = data.get("logEvents") if data.get("messageType") == "DATA_MESSAGE" else None
    for log_event in delivered or []:
        try:
            records.append(json.loads(str(log_event.get("message") or "")))
        except ValueError:
            log.warning("SNS delivery status record is not JSON", extra={"logEventId": log_event.get("id")})
    with logs.correlated(logs.new_id(), job=name):
        result = sns_status.apply(ports(), [r for r in records if isinstance(r, dict)]).as_dict()
        log.info("delivery status applied", extra=result)
        return result


def workflow_task(event: Mapping[str, Any], name: str = "workflow_task") -> dict[str, Any]:
    """One task of a workflow's state machine (the ``event`` its Task state passes). Errors are raised, for Step
    Functions to retry or catch by name (Lambda reports the exception's class name): any ``Retryable`` leaves as
    ``Retryable`` itself (the state machines retry that name, not its subclasses'); ``JourneyStopped`` and the rest
    leave as they are."""
    from chalicelib.errors import Retryable
    from chalicelib.services.workflows import tasks

    with logs.correlated(logs.new_id(), job=name):
        try:
            return tasks.handle(ports(), dict(event))
        except Retryable as exc:
            if type(exc) is Retryable:
                raise
            raise Retryable(str(exc)) from exc
