"""Workflows in the meta table: ``(pk="workflow", sk=<id>)`` documents (``documents.py``), the record as
compressed JSON in ``body``, and each published revision's definition at ``(pk="workflow#<id>",
sk="r#<revision:010d>")``."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from typing import Any

from chalicelib.errors import Conflict
from chalicelib.storage.documents import Documents, Head
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item
from chalicelib.workflows.journeys import WorkflowRecord

PK = "workflow"


def pack(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode())


def unpack(body: Any) -> Any:
    return json.loads(zlib.decompress(bytes(body)))


def _head(record: WorkflowRecord) -> Head:
    return Head(record.id, record.revision, record.created_at)


def _pack_record(record: WorkflowRecord) -> bytes:
    return pack(asdict(record))


def _record(body: bytes) -> WorkflowRecord:
    data = unpack(body)
    return WorkflowRecord(**{**data, "tags": tuple(data["tags"])})


def _revision_key(workflow_id: str, revision: int) -> Item:
    return {"pk": f"{PK}#{workflow_id}", "sk": f"r#{revision:010d}"}


class DynamoWorkflowStore:
    """``WorkflowStore`` on the meta table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.documents = Documents(table, PK, "Workflow", _head, _pack_record, _record)

    def create_workflow(self, record: WorkflowRecord) -> None:
        self.documents.create(record)

    def workflow(self, workflow_id: str) -> WorkflowRecord | None:
        return self.documents.get(workflow_id)

    def workflows(self) -> list[WorkflowRecord]:
        return self.documents.all()

    def replace_workflow(self, record: WorkflowRecord, expected_revision: int) -> None:
        self.documents.replace(record, expected_revision)

    def save_revision(self, workflow_id: str, revision: int, definition: dict[str, Any]) -> None:
        try:
            self.table.put(
                {**_revision_key(workflow_id, revision), "body": pack(definition)}, "attribute_not_exists(sk)"
            )
        except Conflict:  # saved before: a published revision never changes
            return

    def revision(self, workflow_id: str, revision: int) -> dict[str, Any] | None:
        item = self.table.get(_revision_key(workflow_id, revision))
        return dict(unpack(item["body"])) if item else None
