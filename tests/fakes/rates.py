"""In-memory ``RateLimiter``: a count per (name, window), never past the limit."""

from __future__ import annotations

import threading


class FakeRateLimiter:
    """``windows[(name, window)]`` is the count taken in that window."""

    def __init__(self) -> None:
        self.windows: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def take(self, name: str, window: int, limit: int) -> bool:
        with self._lock:
            taken = self.windows.get((name, window), 0)
            if taken >= limit:
                return False
            self.windows[(name, window)] = taken + 1
            return True
