"""Meta table adapter: API keys, additional-field declarations and import jobs.

Items: ``(key, <sha256>)`` for keys, ``(field, <name>)`` for fields, ``(import#<id>, job)`` and
``(import#<id>, chunk#<n>)`` for imports. A chunk's result is written once (conditional put), so
a redelivered chunk never counts twice.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.auth.keys import ApiKey
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Conflict
from chalicelib.storage.dynamo import Table

_CACHE_SECONDS = 30.0


class DynamoMetaStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self._key_cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._fields_cache: tuple[float, dict[str, FieldDeclaration]] | None = None

    # keys
    def add_key(self, key: ApiKey) -> None:
        self.table.put({"pk": "key", "sk": key.keyHash, **key.model_dump()})
        self._key_cache.pop(key.keyHash, None)

    def key(self, key_hash: str) -> ApiKey | None:
        cached = self._key_cache.get(key_hash)
        if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1]
        item = self.table.get({"pk": "key", "sk": key_hash}, consistent=False)
        found = ApiKey.model_validate(item) if item else None
        self._key_cache[key_hash] = (time.monotonic(), found)
        return found

    def keys(self) -> list[ApiKey]:
        return [ApiKey.model_validate(i) for i in self.table.query_all("pk = :k", {":k": "key"})]

    def revoke_key(self, key: ApiKey, at: str) -> None:
        self.add_key(key.model_copy(update={"revokedAt": at}))

    # fields
    def add_field(self, decl: FieldDeclaration) -> None:
        try:
            self.table.put({"pk": "field", "sk": decl.name, **decl.model_dump()}, "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Field {decl.name!r} is already declared") from exc
        self._fields_cache = None

    def fields(self) -> dict[str, FieldDeclaration]:
        if self._fields_cache and time.monotonic() - self._fields_cache[0] < _CACHE_SECONDS:
            return self._fields_cache[1]
        items = self.table.query_all("pk = :k", {":k": "field"})
        declared = {
            i["sk"]: FieldDeclaration.model_validate({k: v for k, v in i.items() if k not in ("pk", "sk")})
            for i in items
        }
        self._fields_cache = (time.monotonic(), declared)
        return declared

    # imports
    def create_import(self, import_id: str, job: dict[str, Any]) -> None:
        self.table.put({"pk": f"import#{import_id}", "sk": "job", **job})

    def import_job(self, import_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        items = list(self.table.query_all("pk = :k", {":k": f"import#{import_id}"}))
        job = next((i for i in items if i["sk"] == "job"), None)
        chunks = [i for i in items if i["sk"].startswith("chunk#")]
        return job, chunks

    def finish_chunk(self, import_id: str, chunk: int, result: dict[str, Any]) -> bool:
        """Record a chunk's outcome once; False if it was already recorded."""
        item = {"pk": f"import#{import_id}", "sk": f"chunk#{chunk:05d}", **result}
        try:
            self.table.put(item, "attribute_not_exists(sk)")
        except Conflict:
            return False
        return True
