"""Which events a contact's aggregates already hold: the record that makes folding exactly-once.

Every contact write records, for each event (and order transition) it folded, an 8-byte digest of its id,
the time it was folded and the contact version that folded it. Entries older than the dedupe window
(24 hours by default, as Segment dedupes ``messageId``) are dropped on every write, so the record stays
small: stored grouped by write (time and version once, then the digests), ~10 bytes per write plus 8 per
event of the last day.

Because the record travels inside the contact write, a crash at any point leaves it consistent with the
aggregates: an event is in it exactly when the aggregates hold it. The consumer uses it to tell

* an event folded already (a redelivered or resent duplicate): skip it;
* an event whose activity row exists but was never folded (a crash between the row write and the contact
  write): fold it now;
* an event whose row exists from before the window: an old resend, skip it.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_WINDOW = timedelta(hours=24)
_GROUP = struct.Struct(">IIH")  # epoch seconds, contact version, number of digests that follow
DIGEST_BYTES = 8
MARGIN = timedelta(minutes=10)  # clock skew between the row's write time and the fold time


def digest(event_id: str) -> bytes:
    return hashlib.blake2b(event_id.encode(), digest_size=8).digest()


@dataclass(frozen=True, order=True)
class Entry:
    at: int  # epoch seconds of the fold
    version: int  # the contact version whose write folded it


class Folded:
    """Digest → (fold time, version) of the events a contact folded within the window."""

    def __init__(self, entries: dict[bytes, Entry] | None = None) -> None:
        self.entries: dict[bytes, Entry] = dict(entries or {})

    def __contains__(self, event_id: object) -> bool:
        return isinstance(event_id, str) and digest(event_id) in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Folded) and other.entries == self.entries

    def __repr__(self) -> str:
        return f"Folded({len(self.entries)} events)"

    def version_of(self, event_id: str) -> int | None:
        entry = self.entries.get(digest(event_id))
        return entry.version if entry else None

    def add(self, event_id: str, at: datetime, version: int) -> None:
        self.entries[digest(event_id)] = Entry(int(at.timestamp()), version)

    def absorb(self, other: Folded) -> None:
        """Take in a merged profile's record (its events now belong to this contact)."""
        for key, entry in other.entries.items():
            mine = self.entries.get(key)
            if mine is None or entry.at > mine.at:
                self.entries[key] = entry

    def prune(self, now: datetime, window: timedelta = DEFAULT_WINDOW) -> None:
        oldest = int((now - window).timestamp())
        self.entries = {k: e for k, e in self.entries.items() if e.at >= oldest}

    def copy(self) -> Folded:
        return Folded(self.entries)

    # --- stored form: one binary attribute, 16 bytes per entry -------------------------------------------

    def pack(self) -> bytes:
        groups: dict[Entry, list[bytes]] = {}
        for key, entry in self.entries.items():
            groups.setdefault(entry, []).append(key)
        parts: list[bytes] = []
        for entry in sorted(groups, key=lambda e: (e.at, e.version)):
            keys = sorted(groups[entry])
            for start in range(0, len(keys), 0xFFFF):
                chunk = keys[start : start + 0xFFFF]
                parts.append(_GROUP.pack(entry.at, entry.version, len(chunk)) + b"".join(chunk))
        return b"".join(parts)

    @classmethod
    def unpack(cls, raw: bytes | None) -> Folded:
        if not raw:
            return cls()
        data, entries, offset = bytes(raw), {}, 0
        while offset < len(data):
            at, version, count = _GROUP.unpack_from(data, offset)
            offset += _GROUP.size
            entry = Entry(at, version)
            for _ in range(count):
                entries[data[offset : offset + DIGEST_BYTES]] = entry
                offset += DIGEST_BYTES
        return cls(entries)


def within(stored_at: datetime, now: datetime, window: timedelta = DEFAULT_WINDOW) -> bool:
    """True when a row stored at ``stored_at`` is young enough that, had it been folded, the record would
    still say so (the window, less a margin for clock skew)."""
    return stored_at >= now - window + MARGIN
