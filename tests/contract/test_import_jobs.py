"""ImportJobStore: contact import jobs and each chunk's outcome, recorded once."""

from __future__ import annotations

from typing import Any

from chalicelib.ports import ImportJobStore

JOB = {"total": 600, "chunks": 3, "createdAt": "2026-11-27T12:00:00.000Z", "source": "api"}


def outcome(ok: int, *bad_rows: int) -> dict[str, Any]:
    errors = [
        {"index": i, "externalId": None, "errors": [{"path": "email", "message": "is not an email"}]} for i in bad_rows
    ]
    return {"ok": ok, "errors": errors}


def test_an_unknown_import_has_no_job_and_no_chunks(imports: ImportJobStore) -> None:
    assert imports.import_job("missing") == (None, [])


def test_a_created_job_reads_back_with_no_chunks_finished(imports: ImportJobStore) -> None:
    imports.create_import("imp-1", dict(JOB))

    assert imports.import_job("imp-1") == (JOB, [])


def test_a_chunk_outcome_is_recorded_once(imports: ImportJobStore) -> None:
    # GIVEN a chunk whose outcome was recorded
    imports.create_import("imp-1", dict(JOB))
    assert imports.finish_chunk("imp-1", 0, outcome(199, 7)) is True
    # WHEN a redelivered copy finishes it again
    assert imports.finish_chunk("imp-1", 0, outcome(200)) is False
    # THEN the first outcome stands
    _, chunks = imports.import_job("imp-1")
    assert chunks == [{"chunk": 0, **outcome(199, 7)}]


def test_finished_chunks_come_back_in_chunk_order(imports: ImportJobStore) -> None:
    imports.create_import("imp-1", dict(JOB))
    for chunk in (2, 0, 1):
        imports.finish_chunk("imp-1", chunk, outcome(100 + chunk))

    job, chunks = imports.import_job("imp-1")

    assert job == JOB
    assert [(c["chunk"], c["ok"], c["errors"]) for c in chunks] == [(0, 100, []), (1, 101, []), (2, 102, [])]


def test_chunks_belong_to_their_own_import(imports: ImportJobStore) -> None:
    imports.create_import("imp-1", dict(JOB))
    imports.create_import("imp-2", {**JOB, "total": 10, "chunks": 1})
    imports.finish_chunk("imp-1", 0, outcome(200))

    assert imports.finish_chunk("imp-2", 0, outcome(10)) is True
    assert imports.import_job("imp-2") == ({**JOB, "total": 10, "chunks": 1}, [{"chunk": 0, **outcome(10)}])
    assert [c["ok"] for c in imports.import_job("imp-1")[1]] == [200]
