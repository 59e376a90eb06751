"""In-memory ``InboxStore``: one item per (contact, message id), the first add wins, expired and hidden items are
gone for every read, newest first by message id, with cursors bound to the contact's listing."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.ports import InboxItem

_CURSOR = "fake-in."


@dataclass
class _Stored:
    item: InboxItem
    hidden: bool = False


def _live(stored: _Stored, now: datetime) -> bool:
    expires = stored.item.expires_at
    return not stored.hidden and (expires is None or iso(now) < expires)


class FakeInboxStore:
    """``inboxes[contact_key][message_id]`` is the stored item and whether it is hidden."""

    def __init__(self) -> None:
        self.inboxes: dict[str, dict[str, _Stored]] = {}
        self._lock = threading.Lock()

    def add(self, item: InboxItem) -> bool:
        with self._lock:
            inbox = self.inboxes.setdefault(item.contact_key, {})
            if item.message_id in inbox:
                return False
            inbox[item.message_id] = _Stored(replace(item, read_at=None))
            return True

    def _found(self, contact_key: str, message_id: str, now: datetime) -> _Stored | None:
        stored = self.inboxes.get(contact_key, {}).get(message_id)
        return stored if stored is not None and _live(stored, now) else None

    def item(self, contact_key: str, message_id: str, now: datetime) -> InboxItem | None:
        with self._lock:
            stored = self._found(contact_key, message_id, now)
            return stored.item if stored else None

    def items(
        self, contact_key: str, now: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[InboxItem], str | None]:
        after = _decode(cursor, contact_key) if cursor is not None else None
        with self._lock:
            live = sorted(
                (s.item for s in self.inboxes.get(contact_key, {}).values() if _live(s, now)),
                key=lambda i: i.message_id,
                reverse=True,
            )
        if after is not None:
            live = [i for i in live if i.message_id < after]
        page = live[: max(limit, 0)]
        more = bool(page) and len(live) > len(page)
        return page, f"{_CURSOR}{contact_key}|{page[-1].message_id}" if more else None

    def unread(self, contact_key: str, now: datetime) -> int:
        with self._lock:
            inbox = self.inboxes.get(contact_key, {}).values()
            return sum(1 for s in inbox if _live(s, now) and s.item.read_at is None)

    def mark_read(self, contact_key: str, message_id: str, at: datetime) -> bool:
        with self._lock:
            stored = self._found(contact_key, message_id, at)
            if stored is None or stored.item.read_at is not None:
                return False
            stored.item = replace(stored.item, read_at=iso(at))
            return True

    def hide(self, contact_key: str, message_id: str, at: datetime) -> bool:
        with self._lock:
            stored = self._found(contact_key, message_id, at)
            if stored is None:
                return False
            stored.hidden = True
            return True


def _decode(cursor: str, contact_key: str) -> str:
    owner, _, after = cursor.removeprefix(_CURSOR).rpartition("|")
    if not cursor.startswith(_CURSOR) or owner != contact_key or not after:
        raise InvalidInput("cursor is not valid", [ErrorDetail("cursor", "is not a cursor of this listing")])
    return after
