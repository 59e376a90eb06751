"""In-memory ``EventLog``: each contact's events by event id, the activity feed newest first."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from chalicelib.clock import iso
from chalicelib.errors import InvalidInput
from chalicelib.events.models import Event, Identity
from chalicelib.ports import EventLog


def stored_event(event: Event) -> Event:
    """``event`` as the adapter reads it back: times in UTC to the millisecond, properties and context
    through JSON (anything else as text)."""

    def through_json(value: dict[str, object]) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(json.dumps(value, separators=(",", ":"), default=str))
        return loaded

    return Event(
        eventId=event.eventId,
        type=event.type,
        identity=Identity.model_validate_json(event.identity.model_dump_json(exclude_none=True)),
        timestamp=datetime.fromisoformat(iso(event.timestamp)),
        receivedAt=datetime.fromisoformat(iso(event.receivedAt)),
        properties=through_json(event.properties) if event.properties else {},
        context=through_json(event.context) if event.context else {},
        source=event.source,
    )


def position(event: Event) -> str:
    """The activity order: event time (to the millisecond), then event id; newest first is descending."""
    return f"{iso(event.timestamp)}#{event.eventId}"


def _encode(contact_key: str, after: str) -> str:
    raw = json.dumps({"contact": contact_key, "after": after}, separators=(",", ":")).encode()
    return "fake." + base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str) -> tuple[str, str]:
    try:
        if not cursor.startswith("fake."):
            raise ValueError("not a fake cursor")
        data = json.loads(base64.urlsafe_b64decode(cursor[len("fake.") :].encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidInput("cursor is not valid") from exc
    if not isinstance(data, dict) or set(data) != {"contact", "after"}:
        raise InvalidInput("cursor is not valid")
    if not all(isinstance(v, str) for v in data.values()):
        raise InvalidInput("cursor is not valid")
    return data["contact"], data["after"]


class FakeEventLog:
    """``rows[contact key][position]``: the stored events, by time and id."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Event]] = {}
        self._lock = threading.RLock()

    def insert(self, contact_key: str, event: Event) -> Event | None:
        with self._lock:
            rows = self.rows.setdefault(contact_key, {})
            stored = stored_event(event)
            if position(stored) in rows:
                return rows[position(stored)]
            rows[position(stored)] = stored
            return None

    def activity(self, contact_key: str, limit: int, cursor: str | None = None) -> tuple[list[Event], str | None]:
        after: str | None = None
        if cursor:
            owner, after = _decode(cursor)
            if owner != contact_key:
                raise InvalidInput("cursor belongs to another contact")
        with self._lock:
            ordered = sorted(self.rows.get(contact_key, {}).values(), key=position, reverse=True)
        if after is not None:
            ordered = [e for e in ordered if position(e) < after]
        page = ordered[: max(limit, 0)]
        more = len(ordered) > len(page)
        return page, _encode(contact_key, position(page[-1])) if more and page else None

    def since(self, contact_key: str, start: datetime) -> Iterator[Event]:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        with self._lock:
            ordered = sorted(self.rows.get(contact_key, {}).values(), key=position)
        return (e for e in ordered if e.timestamp >= start)

    def move_all(self, from_key: str, to_key: str) -> int:
        with self._lock:
            moved = self.rows.pop(from_key, {})
            if moved:
                self.rows.setdefault(to_key, {}).update(moved)
            return len(moved)

    def delete_all(self, contact_key: str) -> int:
        with self._lock:
            return len(self.rows.pop(contact_key, {}))

    def count(self, contact_key: str | None = None) -> int:
        """Stored events of one contact, or of all."""
        if contact_key is not None:
            return len(self.rows.get(contact_key, {}))
        return sum(len(r) for r in self.rows.values())


_: EventLog = FakeEventLog()
