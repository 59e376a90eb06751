"""Workflows in the meta table: ``(pk="workflow", sk=<id>)``, one small partition, so ``workflows()`` is one Query,
and each published revision's definition at ``(pk="workflow#<id>", sk="r#<revision:010d>")``. A record travels
as compressed JSON in ``body``, beside ``rev`` for the optimistic update and ``createdAt`` to order the listing."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from typing import Any

from chalicelib.errors import Conflict, NotFound
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, serialize
from chalicelib.workflows.journeys import WorkflowRecord

PK = "workflow"


def pack(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode())


def unpack(body: Any) -> Any:
    return json.loads(zlib.decompress(bytes(body)))


def _item(record: WorkflowRecord) -> Item:
    return {
        "pk": PK,
        "sk": record.id,
        "rev": record.revision,
        "createdAt": record.created_at,
        "body": pack(asdict(record)),
    }


def _record(item: Item) -> WorkflowRecord:
    data = unpack(item["body"])
    return WorkflowRecord(**{**data, "tags": tuple(data["tags"])})


def _revision_key(workflow_id: str, revision: int) -> Item:
    return {"pk": f"{PK}#{workflow_id}", "sk": f"r#{revision:010d}"}


class DynamoWorkflowStore:
    """``WorkflowStore`` on the meta table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def create_workflow(self, record: WorkflowRecord) -> None:
        try:
            self.table.put(_item(record), "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Workflow {record.id!r} already exists") from exc

    def workflow(self, workflow_id: str) -> WorkflowRecord | None:
        item = self.table.get({"pk": PK, "sk": workflow_id})
        return _record(item) if item else None

    def workflows(self) -> list[WorkflowRecord]:
        found: list[WorkflowRecord] = []
        start: Item | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": serialize({":pk": PK}),
                "ConsistentRead": True,  # a workflow saved a moment ago is listed
            }
            if start:
                kwargs["ExclusiveStartKey"] = serialize(start)
            items, start = self.table._page("dynamodb.Query", self.table.client.query, kwargs)
            found += [_record(i) for i in items]
            if start is None:
                return sorted(found, key=lambda r: (r.created_at, r.id))

    def replace_workflow(self, record: WorkflowRecord, expected_revision: int) -> None:
        try:
            self.table.replace(_item(record), 0, "attribute_exists(sk) AND rev = :rev", {":rev": expected_revision})
        except Conflict as exc:
            stored = self.workflow(record.id)
            if stored is None:
                raise NotFound(f"Workflow {record.id!r} does not exist") from exc
            raise Conflict(
                f"Workflow {record.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
            ) from exc

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
