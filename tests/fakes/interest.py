"""In-memory ``InterestIndex``: each product's interested contacts and when they were last interested, listed in
contact key order like the adapter's Query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import bad_cursor

CURSOR = "wi1."


class FakeInterestIndex:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, datetime]] = {}
        self.writes = 0  # pairs written, for tests of the write cost

    def note(self, entries: Sequence[tuple[str, str, datetime]]) -> None:
        latest: dict[tuple[str, str], datetime] = {}
        for product_id, contact_key, at in entries:
            pair = (product_id, contact_key)
            if pair not in latest or at > latest[pair]:
                latest[pair] = at
        for (product_id, contact_key), at in latest.items():
            self.items.setdefault(product_id, {})[contact_key] = at
        self.writes += len(latest)

    def forget(self, entries: Sequence[tuple[str, str]]) -> None:
        for product_id, contact_key in entries:
            self.items.get(product_id, {}).pop(contact_key, None)

    def interested(
        self, product_id: str, since: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        after = ""
        if cursor is not None:
            found = decode_cursor(CURSOR, cursor).get("after")
            if not isinstance(found, str) or not found:
                raise bad_cursor()
            after = found
        ordered = sorted(k for k in self.items.get(product_id, {}) if k > after)
        page = ordered[:limit]
        more = len(ordered) > limit
        at = self.items.get(product_id, {})
        return [k for k in page if at[k] >= since], encode_cursor(CURSOR, {"after": page[-1]}) if more else None
