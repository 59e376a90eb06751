"""In-memory stores of the meta table's concerns: API keys, field declarations, contact import jobs."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.auth.keys import ApiKey
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import FieldStore, ImportJobStore, KeyStore
from tests.fakes.items import stored_item


class FakeKeyStore:
    """``keys[key hash]``; never cached, so a revocation shows at once (the port allows a short delay)."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}

    def add_key(self, key: ApiKey) -> None:
        self.keys[key.keyHash] = ApiKey.model_validate(stored_item(key.model_dump()))

    def key(self, key_hash: str) -> ApiKey | None:
        found = self.keys.get(key_hash)
        return found.model_copy(deep=True) if found is not None else None

    def all_keys(self) -> list[ApiKey]:
        return [self.keys[h].model_copy(deep=True) for h in sorted(self.keys)]

    def revoke_key(self, key: ApiKey, at: str) -> None:
        self.add_key(key.model_copy(update={"revokedAt": at}))


class FakeFieldStore:
    """``declared[name]``: each field declared once, then changed or removed."""

    def __init__(self) -> None:
        self.declared: dict[str, FieldDeclaration] = {}
        self._lock = threading.RLock()

    def add_field(self, decl: FieldDeclaration) -> None:
        with self._lock:
            if decl.name in self.declared:
                raise Conflict(f"Field {decl.name!r} is already declared")
            self.declared[decl.name] = FieldDeclaration.model_validate(stored_item(decl.model_dump()))

    def update_field(self, decl: FieldDeclaration) -> None:
        with self._lock:
            if decl.name not in self.declared:
                raise NotFound(f"Field {decl.name!r} is not declared")
            self.declared[decl.name] = FieldDeclaration.model_validate(stored_item(decl.model_dump()))

    def remove_field(self, name: str) -> None:
        with self._lock:
            if self.declared.pop(name, None) is None:
                raise NotFound(f"Field {name!r} is not declared")

    def fields(self) -> dict[str, FieldDeclaration]:
        return {name: self.declared[name].model_copy(deep=True) for name in sorted(self.declared)}


class FakeImportJobStore:
    """``jobs[import id]`` and ``chunks[import id][chunk]``: each chunk's outcome recorded once."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.chunks: dict[str, dict[int, dict[str, Any]]] = {}
        self._lock = threading.RLock()

    def create_import(self, import_id: str, job: dict[str, Any]) -> None:
        self.jobs[import_id] = stored_item(job)

    def import_job(self, import_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        job = self.jobs.get(import_id)
        done = self.chunks.get(import_id, {})
        return (
            stored_item(job) if job is not None else None,
            [{**stored_item(done[n]), "chunk": n} for n in sorted(done)],
        )

    def finish_chunk(self, import_id: str, chunk: int, result: dict[str, Any]) -> bool:
        with self._lock:
            done = self.chunks.setdefault(import_id, {})
            if chunk in done:
                return False
            done[chunk] = stored_item(result)
            return True


_keys: KeyStore = FakeKeyStore()
_fields: FieldStore = FakeFieldStore()
_imports: ImportJobStore = FakeImportJobStore()
