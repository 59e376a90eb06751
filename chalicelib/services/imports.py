"""Bulk contact import: up to 3,000 rows per request, applied asynchronously in chunks on the imports stream.

Each chunk is one queue message; its outcome (per-row errors included) is recorded once, so the
status endpoint sums chunks and a redelivered chunk never counts twice. Bad rows never block
good ones.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from pydantic import ValidationError

from chalicelib.clock import iso
from chalicelib.contacts.imports import ImportAccepted, ImportRequest, ImportStatus, RowError
from chalicelib.contacts.models import ContactIn
from chalicelib.contacts.patch import check_external_id
from chalicelib.errors import InvalidInput, NotFound, OrbitError
from chalicelib.messages import ImportMsg, ImportRow
from chalicelib.ports import Ports
from chalicelib.services.contacts import upsert_many
from chalicelib.validation import details_from

log = logging.getLogger("orbit.imports")
CHUNK_BYTES = 200_000
CHUNK_ROWS = 250


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        row_size = len(json.dumps(row, default=str))
        if chunks[-1] and (len(chunks[-1]) >= CHUNK_ROWS or size + row_size > CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += row_size
    return chunks


def start_import(ports: Ports, request: ImportRequest, source: str = "api") -> ImportAccepted:
    import_id = uuid.uuid4().hex
    rows = [{"index": i, "row": r} for i, r in enumerate(request.contacts)]
    chunks = _chunks(rows)
    ports.imports.create_import(
        import_id,
        {"total": len(rows), "chunks": len(chunks), "createdAt": iso(ports.clock.now()), "source": source},
    )
    messages = [
        ImportMsg(
            importId=import_id,
            chunk=n,
            rows=[
                ImportRow(index=r["index"], externalId=str(r["row"].get("externalId") or ""), contact=r["row"])
                for r in chunk
            ],
        )
        for n, chunk in enumerate(chunks)
    ]
    ports.publisher.publish(messages)
    return ImportAccepted(importId=import_id, total=len(rows), statusUrl=f"/v1/imports/{import_id}")


def apply_import_chunk(ports: Ports, message: ImportMsg) -> None:
    """Upsert every row of a chunk (``upsert_many``: batched reads, rows in parallel); record the outcome once."""
    _job, chunks = ports.imports.import_job(message.importId)
    if any(c["chunk"] == message.chunk for c in chunks):
        return
    ok, errors = 0, []
    valid = []
    for row in message.rows:
        body = {k: v for k, v in row.contact.items() if k != "externalId"}
        try:
            valid.append((row, ContactIn.model_validate(body)))
        except ValidationError as exc:
            problems = _external_id_problems(row.externalId) + [d.as_dict() for d in details_from(exc)]
            errors.append(_row_error(row.index, row.externalId, problems))
    results = upsert_many(ports, [(row.externalId, contact) for row, contact in valid])
    for (row, _contact), result in zip(valid, results, strict=True):
        try:
            if isinstance(result, Exception):
                raise result
            ok += 1
        except ValidationError as exc:
            errors.append(_row_error(row.index, row.externalId, [d.as_dict() for d in details_from(exc)]))
        except InvalidInput as exc:
            errors.append(_row_error(row.index, row.externalId, [d.as_dict() for d in exc.details]))
        except OrbitError as exc:
            if exc.status >= 500:
                raise
            errors.append(_row_error(row.index, row.externalId, [{"path": "$", "message": exc.message}]))
    errors.sort(key=lambda e: e["index"])
    ports.imports.finish_chunk(message.importId, message.chunk, {"ok": ok, "errors": errors})


def consume(ports: Ports, records: list[tuple[str, str]]) -> list[str]:
    """The imports stream's consumer (``services.background``, which handles every kind on the stream)."""
    from chalicelib.services import background

    return background.consume(ports, records)


def _external_id_problems(external_id: str) -> list[dict[str, str]]:
    """The row's ``externalId`` problem (``is required`` when it is missing or blank), reported with the
    contact's own problems so one pass over the file shows them all."""
    try:
        check_external_id(external_id)
    except InvalidInput as exc:
        return [d.as_dict() for d in exc.details]
    return []


def _row_error(index: int, external_id: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"index": index, "externalId": external_id or None, "errors": errors}


def status(ports: Ports, import_id: str) -> ImportStatus:
    job, chunks = ports.imports.import_job(import_id)
    if job is None:
        raise NotFound(f"No import {import_id!r}")
    errors = [RowError.model_validate(e) for c in chunks for e in c.get("errors", [])]
    succeeded = sum(int(c.get("ok", 0)) for c in chunks)
    processed = succeeded + len(errors)
    return ImportStatus(
        importId=import_id,
        status="FINISHED" if len(chunks) >= int(job["chunks"]) else "PROCESSING",
        total=int(job["total"]),
        processed=processed,
        succeeded=succeeded,
        failed=len(errors),
        createdAt=job["createdAt"],
        errors=sorted(errors, key=lambda e: e.index),
    )
