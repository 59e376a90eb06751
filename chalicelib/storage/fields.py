"""Additional-field declarations in the meta table: ``(pk="field", sk=<name>)``, read through a 30 s cache."""

from __future__ import annotations

import time

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Conflict, NotFound
from chalicelib.storage.dynamo import Table

CACHE_SECONDS = 30.0


class DynamoFieldStore:
    def __init__(self, table: Table, cache_seconds: float = CACHE_SECONDS) -> None:
        self.table = table
        self.cache_seconds = cache_seconds
        self._cache: tuple[float, dict[str, FieldDeclaration]] | None = None

    def add_field(self, decl: FieldDeclaration) -> None:
        try:
            self.table.put({"pk": "field", "sk": decl.name, **decl.model_dump()}, "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Field {decl.name!r} is already declared") from exc
        self._cache = None

    def update_field(self, decl: FieldDeclaration) -> None:
        try:
            self.table.put({"pk": "field", "sk": decl.name, **decl.model_dump()}, "attribute_exists(sk)")
        except Conflict as exc:
            raise NotFound(f"Field {decl.name!r} is not declared") from exc
        finally:
            self._cache = None

    def remove_field(self, name: str) -> None:
        try:
            self.table.delete({"pk": "field", "sk": name}, condition="attribute_exists(sk)")
        except Conflict as exc:
            raise NotFound(f"Field {name!r} is not declared") from exc
        finally:
            self._cache = None

    def fields(self) -> dict[str, FieldDeclaration]:
        if self._cache and time.monotonic() - self._cache[0] < self.cache_seconds:
            return dict(self._cache[1])
        items = self.table.query_all("pk = :k", {":k": "field"})
        declared = {
            i["sk"]: FieldDeclaration.model_validate({k: v for k, v in i.items() if k not in ("pk", "sk")})
            for i in items
        }
        self._cache = (time.monotonic(), declared)
        return dict(declared)
