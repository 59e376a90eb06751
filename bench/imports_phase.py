"""The ``imports`` section of ``make bench``: a 5,000-row contact import applied by the imports consumer
(``imports.consume``, chunk by chunk, as the local runtime's poller calls it) vs. a raw baseline: the same
5,000 contacts written straight with BatchWriteItem (25 items a call) into a table of their own.

Both run against the local runtime's moto. Only the apply is timed (chunks are handed to the consumer from
memory, not received from SQS), so the figures compare what the backend must do per row (read the contact,
check email/phone uniqueness and suppressions, conditional write) with the least any import can do. The
time inside each table call is recorded too, to show where the rest goes.

Run alone: ``python -m bench.ingest imports`` (``BENCH_IMPORT_ROWS`` overrides the row count).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from bench.metering import OpTimes
from chalicelib import aws
from chalicelib.clock import SystemClock, iso
from chalicelib.contacts import keys
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.contacts.imports import ImportRequest
from chalicelib.contacts.record import ContactRecord
from chalicelib.deps import build
from chalicelib.errors import Conflict
from chalicelib.local.provision import provision
from chalicelib.messages import QueueMessage
from chalicelib.ports import Ports
from chalicelib.services import imports
from chalicelib.settings import settings_from_env
from chalicelib.storage.contacts import _to_item
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Meter

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "5000"))
REQUEST_ROWS = 3_000  # what one import request takes (the CLI splits a CSV the same way)


@dataclass
class ImportsResult:
    rows: int
    chunks: int = 0
    orbit_seconds: float = 0.0
    base_seconds: float = 0.0
    succeeded: int = 0
    failed: int = 0
    concurrency: int = 1
    op_seconds: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def orbit_rate(self) -> float:
        return self.rows / self.orbit_seconds if self.orbit_seconds else 0.0

    @property
    def base_rate(self) -> float:
        return self.rows / self.base_seconds if self.base_seconds else 0.0


class _Capture:
    """A publisher that keeps the messages, so the chunks reach the consumer from memory."""

    def __init__(self) -> None:
        self.messages: list[QueueMessage] = []

    def publish(self, messages: Any) -> None:
        self.messages.extend(messages)


def rows(count: int, tag: str) -> list[dict[str, Any]]:
    """CSV-like contacts: External ID, a unique email and phone, names, one declared field."""
    return [
        {
            "externalId": f"{tag}-{i}",
            "email": f"{tag}-{i}@example.com",
            "phone": f"+38050{i:07d}",
            "firstName": f"First{i}",
            "lastName": f"Last{i}",
            "fields": {"tier": ("gold", "silver", "bronze")[i % 3]},
        }
        for i in range(count)
    ]


def _timed(calls: Counter[str], times: OpTimes, target: Any, label: str, methods: tuple[str, ...]) -> None:
    times.wrap(target, label, methods)
    for name in methods:
        original = getattr(target, name)

        def counted(*args: Any, _original: Any = original, _key: str = f"{label}.{name}", **kwargs: Any) -> Any:
            calls[_key] += 1
            return _original(*args, **kwargs)

        setattr(target, name, counted)


def bench_imports(count: int = ROWS) -> ImportsResult:
    cfn = aws.client("cloudformation")
    settings = settings_from_env(provision(cfn, "benchimports"))
    raw = settings_from_env(provision(cfn, "benchimportsraw"))
    capture = _Capture()
    stores: Ports = replace(build(settings, SystemClock()), publisher=capture)
    result = ImportsResult(rows=count, concurrency=settings.consumer_concurrency)
    with contextlib.suppress(Conflict):  # declared by an earlier run on the same moto
        stores.fields.add_field(FieldDeclaration(name="tier", type="string", options=["gold", "silver", "bronze"]))
    tag = f"imp{int(time.time())}"
    contacts = rows(count, tag)
    accepted = [
        imports.start_import(stores, ImportRequest.model_validate({"contacts": contacts[i : i + REQUEST_ROWS]}))
        for i in range(0, count, REQUEST_ROWS)
    ]
    chunks = [(f"chunk-{n}", m.body()) for n, m in enumerate(capture.messages)]
    capture.messages.clear()
    result.chunks = len(chunks)

    times = OpTimes()
    _timed(result.calls, times, stores.contacts.table, "contacts", ("get", "batch_get", "put", "replace", "query"))
    _timed(result.calls, times, stores.suppressions.table, "meta", ("batch_get",))
    started = time.perf_counter()
    for chunk in chunks:
        failed = imports.consume(stores, [chunk])
        if failed:
            raise RuntimeError(f"import chunk {chunk[0]} failed")
    result.orbit_seconds = time.perf_counter() - started
    result.op_seconds = times.seconds
    for accepted_one in accepted:
        status = imports.status(stores, accepted_one.importId)
        result.succeeded += status.succeeded
        result.failed += status.failed

    now = iso(SystemClock().now())
    items = [
        _to_item(
            ContactRecord(
                key=keys.known(row["externalId"]),
                profile={k: v for k, v in row.items() if k not in ("externalId", "fields")},
                fields=row["fields"],
                created_at=now,
                updated_at=now,
            )
        )
        for row in contacts
    ]
    base = Table(aws.client("dynamodb"), raw.contacts_table, meter=Meter())
    started = time.perf_counter()
    base.batch_put(items)
    result.base_seconds = time.perf_counter() - started
    return result
