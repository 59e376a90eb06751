"""Bulk contact import: up to 3,000 rows per request, applied asynchronously in chunks.

Each chunk is one queue message; its outcome (per-row errors included) is recorded once, so the
status endpoint sums chunks and a redelivered chunk never counts twice. Bad rows never block
good ones.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.clock import iso
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput, NotFound, OrbitError
from chalicelib.validation import details_from

if TYPE_CHECKING:
    from chalicelib.deps import Stores
    from chalicelib.pipeline.messages import ImportMsg

MAX_ROWS = 3000
CHUNK_BYTES = 200_000
CHUNK_ROWS = 250


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


class ImportAccepted(BaseModel):
    importId: str
    total: int
    statusUrl: str


class RowError(BaseModel):
    index: int
    externalId: str | None = None
    errors: list[dict[str, str]]


class ImportStatus(BaseModel):
    importId: str
    status: str = Field(description="PROCESSING or FINISHED")
    total: int
    processed: int
    succeeded: int
    failed: int
    createdAt: str
    errors: list[RowError]


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


def start_import(stores: Stores, request: ImportRequest, source: str = "api") -> ImportAccepted:
    from chalicelib.pipeline.messages import ImportMsg, ImportRow, dump

    import_id = uuid.uuid4().hex
    rows = [{"index": i, "row": r} for i, r in enumerate(request.contacts)]
    chunks = _chunks(rows)
    stores.meta.create_import(
        import_id,
        {"total": len(rows), "chunks": len(chunks), "createdAt": iso(stores.clock.now()), "source": source},
    )
    messages = []
    for n, chunk in enumerate(chunks):
        import_rows = [
            ImportRow(index=r["index"], externalId=str(r["row"].get("externalId") or ""), contact=r["row"])
            for r in chunk
        ]
        messages.append(dump(ImportMsg(importId=import_id, chunk=n, rows=import_rows)))
    stores.queue.send(messages)
    return ImportAccepted(importId=import_id, total=len(rows), statusUrl=f"/v1/imports/{import_id}")


def apply_import_chunk(stores: Stores, message: ImportMsg) -> None:
    """Upsert every row of a chunk; record the chunk's outcome once."""
    from chalicelib.contacts.service import upsert

    _job, chunks = stores.meta.import_job(message.importId)
    if any(c["sk"] == f"chunk#{message.chunk:05d}" for c in chunks):
        return
    ok, errors = 0, []
    for row in message.rows:
        body = {k: v for k, v in row.contact.items() if k != "externalId"}
        try:
            contact = ContactIn.model_validate(body)
            upsert(stores, row.externalId, contact)
            ok += 1
        except ValidationError as exc:
            errors.append(_row_error(row.index, row.externalId, [d.as_dict() for d in details_from(exc)]))
        except InvalidInput as exc:
            errors.append(_row_error(row.index, row.externalId, [d.as_dict() for d in exc.details]))
        except OrbitError as exc:
            if exc.status >= 500:
                raise
            errors.append(_row_error(row.index, row.externalId, [{"path": "$", "message": exc.message}]))
    stores.meta.finish_chunk(message.importId, message.chunk, {"ok": ok, "errors": errors})


def _row_error(index: int, external_id: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"index": index, "externalId": external_id or None, "errors": errors}


def status(stores: Stores, import_id: str) -> ImportStatus:
    job, chunks = stores.meta.import_job(import_id)
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
