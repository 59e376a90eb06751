"""API keys in the meta table: ``(pk="key", sk=<sha256 of the plaintext>)``, read through a 30 s cache."""

from __future__ import annotations

import time

from chalicelib.auth.keys import ApiKey
from chalicelib.storage.dynamo import Table

CACHE_SECONDS = 30.0


class DynamoKeyStore:
    def __init__(self, table: Table, cache_seconds: float = CACHE_SECONDS) -> None:
        self.table = table
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def add_key(self, key: ApiKey) -> None:
        self.table.put({"pk": "key", "sk": key.keyHash, **key.model_dump()})
        self._cache.pop(key.keyHash, None)

    def key(self, key_hash: str) -> ApiKey | None:
        cached = self._cache.get(key_hash)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        item = self.table.get({"pk": "key", "sk": key_hash}, consistent=False)
        found = ApiKey.model_validate(item) if item else None
        self._cache[key_hash] = (time.monotonic(), found)
        return found

    def all_keys(self) -> list[ApiKey]:
        return [ApiKey.model_validate(i) for i in self.table.query_all("pk = :k", {":k": "key"})]

    def revoke_key(self, key: ApiKey, at: str) -> None:
        self.add_key(key.model_copy(update={"revokedAt": at}))
