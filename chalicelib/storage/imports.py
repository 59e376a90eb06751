"""Contact import jobs in the meta table: ``(import#<id>, job)`` and ``(import#<id>, chunk#<n>)``.

A chunk's result is written once (conditional put), so a redelivered chunk never counts twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Conflict
from chalicelib.storage.dynamo import Table

_CHUNK = "chunk#"


class DynamoImportJobStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_import(self, import_id: str, job: dict[str, Any]) -> None:
        self.table.put({"pk": f"import#{import_id}", "sk": "job", **job})

    def import_job(self, import_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        items = list(self.table.query_all("pk = :k", {":k": f"import#{import_id}"}))
        job = next(({k: v for k, v in i.items() if k not in ("pk", "sk")} for i in items if i["sk"] == "job"), None)
        chunks = [
            {**{k: v for k, v in i.items() if k not in ("pk", "sk")}, "chunk": int(i["sk"][len(_CHUNK) :])}
            for i in items
            if i["sk"].startswith(_CHUNK)
        ]
        return job, chunks

    def finish_chunk(self, import_id: str, chunk: int, result: dict[str, Any]) -> bool:
        item = {"pk": f"import#{import_id}", "sk": f"{_CHUNK}{chunk:05d}", **result}
        try:
            self.table.put(item, "attribute_not_exists(sk)")
        except Conflict:
            return False
        return True
