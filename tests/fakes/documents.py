"""In-memory documents with an optimistic revision, as ``chalicelib/storage/documents.py`` keeps them: by id, each
created once, replaced at the revision it was read at, deleted once, and handed out as copies made by ``copy``
(through the stored form, where the adapter has one)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from chalicelib.errors import Conflict, NotFound
from chalicelib.storage.documents import Head

D = TypeVar("D")


class FakeDocuments(Generic[D]):
    """``stored[id]``; ``noun`` names one in error messages (``"Template"``)."""

    def __init__(self, noun: str, head: Callable[[D], Head], copy: Callable[[D], D]) -> None:
        self.noun = noun
        self.head = head
        self.copy = copy
        self.stored: dict[str, D] = {}
        self._lock = threading.RLock()

    def create(self, doc: D) -> None:
        doc_id = self.head(doc).id
        with self._lock:
            if doc_id in self.stored:
                raise Conflict(f"{self.noun} {doc_id!r} already exists")
            self.stored[doc_id] = self.copy(doc)

    def get(self, doc_id: str) -> D | None:
        found = self.stored.get(doc_id)
        return self.copy(found) if found is not None else None

    def all(self) -> list[D]:
        with self._lock:
            found = [self.copy(d) for d in self.stored.values()]
        return sorted(found, key=lambda d: (self.head(d).created_at, self.head(d).id))

    def replace(self, doc: D, expected_revision: int) -> None:
        doc_id = self.head(doc).id
        with self._lock:
            stored = self.stored.get(doc_id)
            if stored is None:
                raise NotFound(f"{self.noun} {doc_id!r} does not exist")
            revision = self.head(stored).revision
            if revision != expected_revision:
                raise Conflict(f"{self.noun} {doc_id!r} changed: it is at revision {revision}, not {expected_revision}")
            self.stored[doc_id] = self.copy(doc)

    def delete(self, doc_id: str) -> None:
        with self._lock:
            if self.stored.pop(doc_id, None) is None:
                raise NotFound(f"{self.noun} {doc_id!r} does not exist")
