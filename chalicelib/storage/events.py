"""Events table adapter: the activity log, one row per contact and event, keyed by time.

Key: ``pk`` = contact key, ``sk`` = ``<iso time>#<event id>``, so a query of the contact's partition reads
its activity newest first without an index (one write unit per event, not two). The put is conditional
(``attribute_not_exists``): a resent event with the same id and time is found in the row for as long as it
lives (the retention TTL ``x``), and ``insert`` hands back the stored row so the consumer can tell a crash's
leftover from an old resend (``contacts/folded.py``). Resends whose time differs (sent without a timestamp)
are caught by the contact's folded-events record within its window instead.

No stored row can break a read: a row that does not make an event (a corrupt time, properties that are not
JSON, a row written by hand or by an older version) is left out of the activity with a warning naming its key;
a row dated before ``OLDEST_TIMESTAMP`` (stored before the edge refused such times) is shown as stored, with a
warning.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from chalicelib.clock import iso
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.events.models import Event, Identity
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item
from chalicelib.validation import OLDEST_TIMESTAMP

log = logging.getLogger("orbit.events")


def sort_key(event: Event) -> str:
    return f"{iso(event.timestamp)}#{event.eventId}"


def _to_item(contact_key: str, event: Event, retention_days: int) -> Item:
    expires = event.receivedAt + timedelta(days=retention_days)
    return {
        "pk": contact_key,
        "sk": sort_key(event),
        "t": event.type,
        "p": json.dumps(event.properties, separators=(",", ":"), default=str) if event.properties else None,
        "c": json.dumps(event.context, separators=(",", ":"), default=str) if event.context else None,
        "i": event.identity.model_dump_json(exclude_none=True),
        "src": event.source,
        "rcv": iso(event.receivedAt),
        "x": int(expires.timestamp()),
    }


def _from_item(item: Item) -> Event | None:
    """The event a row holds, or None (logged) when the row does not make one."""
    try:
        at, event_id = item["sk"].split("#", 1)
        event = Event(
            eventId=event_id,
            type=item["t"],
            identity=Identity.model_validate_json(item.get("i") or "{}"),
            timestamp=datetime.fromisoformat(at),
            receivedAt=datetime.fromisoformat(item["rcv"]),
            properties=json.loads(item["p"]) if item.get("p") else {},
            context=json.loads(item["c"]) if item.get("c") else {},
            source=item.get("src", "api"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
        log.warning(
            "unreadable event row skipped",
            extra={"pk": item.get("pk"), "sk": item.get("sk"), "reason": f"{type(exc).__name__}: {exc}"},
        )
        return None
    if event.timestamp < OLDEST_TIMESTAMP:
        log.warning("event row older than the oldest accepted time", extra={"pk": item.get("pk"), "sk": item.get("sk")})
    return event


def encode_cursor(key: Item | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> Item | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not valid") from exc
    if not isinstance(key, dict) or set(key) != {"pk", "sk"} or not all(isinstance(v, str) for v in key.values()):
        raise InvalidInput("cursor is not valid")
    return key


class DynamoEventStore:
    def __init__(self, table: Table, retention_days: int) -> None:
        self.table = table
        self.retention_days = retention_days

    def insert(self, contact_key: str, event: Event) -> Event | None:
        """Store the event; when this contact already has it (same id and time), store nothing and return
        the stored one."""
        try:
            self.table.put(_to_item(contact_key, event, self.retention_days), "attribute_not_exists(sk)")
        except Conflict:
            stored = self.table.get({"pk": contact_key, "sk": sort_key(event)})
            return (_from_item(stored) if stored else None) or event
        return None

    def activity(self, contact_key: str, limit: int, cursor: str | None = None) -> tuple[list[Event], str | None]:
        start = decode_cursor(cursor)
        if start is not None and start["pk"] != contact_key:
            raise InvalidInput("cursor belongs to another contact")
        items, last = self.table.query("pk = :pk", {":pk": contact_key}, forward=False, limit=limit, start=start)
        events = [e for e in map(_from_item, items) if e is not None]
        return events, encode_cursor(last)

    def since(self, contact_key: str, start: datetime) -> Iterator[Event]:
        """The contact's events from ``start`` on, oldest first, read page by page as the caller iterates: the
        keys from ``start``'s millisecond on (``sk >= <iso time>``), less any earlier in that millisecond."""
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        rows = self.table.query_all("pk = :pk AND sk >= :start", {":pk": contact_key, ":start": iso(start)})
        for row in rows:
            event = _from_item(row)
            if event is not None and event.timestamp >= start:
                yield event

    def move_all(self, from_key: str, to_key: str) -> int:
        """Copy a profile's events under another contact, then delete the originals (idempotent)."""
        items = list(self.table.query_all("pk = :pk", {":pk": from_key}))
        if not items:
            return 0
        self.table.batch_put([{**i, "pk": to_key} for i in items])
        self.table.batch_delete([{"pk": from_key, "sk": i["sk"]} for i in items])
        return len(items)

    def delete_all(self, contact_key: str) -> int:
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in self.table.query_all("pk = :pk", {":pk": contact_key})]
        self.table.batch_delete(keys)
        return len(keys)
