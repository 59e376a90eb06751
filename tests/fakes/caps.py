"""In-memory ``CapCounter``: per (contact, channel, day) the set of message ids counted; a message id counts
once, and none past the limit."""

from __future__ import annotations

import threading
from collections.abc import Sequence


class FakeCapCounter:
    """``days[(contact, channel, day)]`` is the set of message ids counted that day."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, str, str], set[str]] = {}
        self._lock = threading.Lock()

    def counts(self, contact_key: str, channel: str, days: Sequence[str]) -> dict[str, int]:
        with self._lock:
            return {d: len(ids) for d in days if (ids := self.days.get((contact_key, channel, d)))}

    def count(self, contact_key: str, channel: str, day: str, message_id: str, limit: int | None) -> bool:
        with self._lock:
            ids = self.days.setdefault((contact_key, channel, day), set())
            if message_id in ids:
                return True
            if limit is not None and len(ids) >= limit:
                return False
            ids.add(message_id)
            return True
