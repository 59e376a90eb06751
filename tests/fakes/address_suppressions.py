"""In-memory ``AddressSuppressions``: entries by (channel, normalised address)."""

from __future__ import annotations

import threading

from chalicelib.messaging.address_suppressions import AddressSuppression, decode_cursor, encode_cursor
from chalicelib.ports import AddressSuppressions


class FakeAddressSuppressions:
    """``entries[(channel, address)] = the entry``."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], AddressSuppression] = {}
        self._lock = threading.Lock()

    def suppress(self, entry: AddressSuppression) -> None:
        with self._lock:
            self.entries[(entry.channel, entry.address)] = entry

    def suppression(self, channel: str, address: str) -> AddressSuppression | None:
        with self._lock:
            return self.entries.get((channel, address))

    def lift(self, channel: str, address: str) -> bool:
        with self._lock:
            return self.entries.pop((channel, address), None) is not None

    def suppressions(
        self, channel: str, limit: int, cursor: str | None = None
    ) -> tuple[list[AddressSuppression], str | None]:
        after = decode_cursor(channel, cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        with self._lock:
            listed = sorted((e for (c, a), e in self.entries.items() if c == channel), key=lambda e: e.address)
        page = [e for e in listed if after is None or e.address > after]
        more = len(page) > limit
        page = page[:limit]
        return page, encode_cursor(channel, page[-1].address) if more else None


_: AddressSuppressions = FakeAddressSuppressions()
