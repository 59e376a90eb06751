"""In-memory ``ContactStore``: contacts, provisional profiles and alias links with optimistic versions."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from typing import Any

from chalicelib.contacts.folded import Folded
from chalicelib.contacts.models import STANDARD_FIELDS
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, Permanent
from chalicelib.ports import ContactStore
from tests.fakes.items import stored_value

FINDABLE = ("email", "phone")


def stored_record(rec: ContactRecord) -> ContactRecord:
    """A fresh copy of ``rec`` as the DynamoDB adapter would load it back: only the standard profile
    attributes and consent, empty collections for absent ones, DynamoDB's number and collection types."""
    profile = {a: stored_value(rec.profile[a]) for a in (*STANDARD_FIELDS, "consent") if rec.profile.get(a) is not None}
    copy = ContactRecord(
        key=rec.key,
        kind=rec.kind,
        profile=profile,
        fields=stored_value(rec.fields) or {},
        channels=stored_value(rec.channels) or [],
        aggs=stored_value(rec.aggs) or {},
        merged=stored_value(rec.merged) or [],
        merged_into=rec.merged_into,
        merge_history=stored_value(rec.merge_history) or [],
        folded=Folded.unpack(rec.folded.pack()),
        version=rec.version,
        created_at=rec.created_at,
        updated_at=rec.updated_at,
    )
    copy.stored_size = _size(copy)
    return copy


def _size(rec: ContactRecord) -> int:
    """Roughly the bytes of the stored item (the adapter meters write units from it)."""
    parts = [rec.key, rec.kind, rec.profile, rec.fields, rec.channels, rec.aggs, rec.merged]
    return len(json.dumps(parts, default=str))


class FakeContactStore:
    """Records by key; ``save`` is a compare-and-set on the version, like the adapter's conditional put."""

    def __init__(self) -> None:
        self.records: dict[str, ContactRecord] = {}
        self._lock = threading.RLock()

    def load(self, key: str) -> ContactRecord | None:
        rec = self.records.get(key)
        return stored_record(rec) if rec is not None else None

    def load_many(self, keys: list[str]) -> dict[str, ContactRecord]:
        return {k: stored_record(self.records[k]) for k in dict.fromkeys(keys) if k in self.records}

    def save(self, rec: ContactRecord, old: ContactRecord | None) -> None:
        expected = old.version if old else 0
        rec.version = expected + 1
        with self._lock:
            current = self.records.get(rec.key)
            if (current is not None) if expected == 0 else (current is None or current.version != expected):
                raise Conflict("The item changed or already exists")
            stored = stored_record(rec)
            self.records[rec.key] = stored
        rec.stored_size = stored.stored_size

    def delete(self, rec: ContactRecord) -> None:
        with self._lock:
            self.records.pop(rec.key, None)

    def scan(self, segment: int = 0, total_segments: int = 1) -> Iterator[ContactRecord]:
        if not 1 <= total_segments <= 1_000_000 or not 0 <= segment < total_segments:
            raise Permanent(f"segment {segment} of {total_segments} is not a scan segment")
        with self._lock:
            mine = [r for k, r in self.records.items() if zlib.crc32(k.encode()) % total_segments == segment]
        return (stored_record(r) for r in mine)

    def scan_part(
        self, part: int, parts: int, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """As the adapter: the part's keys (crc32 mod ``parts``) in key order after ``start``."""
        after = page_start(start, ("pk",))
        with self._lock:
            mine = sorted((k, r) for k, r in self.records.items() if zlib.crc32(k.encode()) % parts == part)
        window = [(k, r) for k, r in mine if after is None or k > after["pk"]][:limit]
        more = len([k for k, _ in mine if after is None or k > after["pk"]]) > limit
        found = [stored_record(r) for _, r in window if r.kind == KIND_CONTACT]
        return found, ({"pk": window[-1][0]} if more else None)

    def find(self, attr: str, value: str) -> list[ContactRecord]:
        if attr not in FINDABLE:
            raise KeyError(attr)
        with self._lock:
            found = [
                stored_record(r)
                for r in self.records.values()
                if r.kind == KIND_CONTACT and r.profile.get(attr) == value
            ]
        return sorted(found, key=lambda r: r.updated_at, reverse=True)

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        created: tuple[str | None, str | None] = (None, None),
        updated: tuple[str | None, str | None] = (None, None),
        fields: dict[str, Any] | None = None,
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """Known contacts in key order, after ``start``'s key."""
        after = page_start(start, ("pk",))
        with self._lock:
            ordered = sorted(self.records.items())
        matching = [
            stored_record(r)
            for k, r in ordered
            if (after is None or k > after["pk"])
            and r.kind == KIND_CONTACT
            and within(r.created_at, created)
            and within(r.updated_at, updated)
            and all(field_matches(r.fields.get(name), value) for name, value in (fields or {}).items())
        ]
        shown = matching[:limit]
        more = len(matching) > limit
        return shown, {"pk": shown[-1].key} if more else None


def page_start(start: Any, attrs: tuple[str, ...]) -> dict[str, Any] | None:
    """As the adapters: a start key of exactly ``attrs`` (non-empty strings), else InvalidInput naming cursor."""
    if start is None:
        return None
    if (
        not isinstance(start, dict)
        or set(start) != set(attrs)
        or not all(isinstance(v, str) and v for v in start.values())
    ):
        raise InvalidInput("cursor is not valid", [ErrorDetail("cursor", "is not a cursor of this listing")])
    return start


def within(value: str, bounds: tuple[str | None, str | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def field_matches(stored: Any, wanted: Any) -> bool:
    """DynamoDB's equality (a number equals a number of the same value, never a boolean), or a list holding it."""
    if isinstance(stored, list):
        return wanted in stored
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return isinstance(stored, bool) and isinstance(wanted, bool) and stored == wanted
    numbers = isinstance(stored, int | float), isinstance(wanted, int | float)
    return stored is not None and numbers[0] == numbers[1] and stored == wanted


_: ContactStore = FakeContactStore()
