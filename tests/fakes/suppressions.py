"""In-memory ``Suppressions``: digests of erased identifiers and when each was added."""

from __future__ import annotations

import threading
from collections.abc import Collection

from chalicelib.ports import Suppressions


class FakeSuppressions:
    """``digests[digest] = when it was suppressed``."""

    def __init__(self) -> None:
        self.digests: dict[str, str] = {}
        self._lock = threading.Lock()

    def suppress(self, digests: Collection[str], at: str) -> None:
        with self._lock:
            for digest in digests:
                self.digests[digest] = at

    def suppressed(self, digests: Collection[str]) -> set[str]:
        with self._lock:
            return {d for d in digests if d in self.digests}

    def lift(self, digests: Collection[str]) -> None:
        with self._lock:
            for digest in digests:
                self.digests.pop(digest, None)


_: Suppressions = FakeSuppressions()
