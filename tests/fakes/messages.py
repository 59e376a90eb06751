"""In-memory ``MessageStore``: the ledger's first claim wins, messages move only from the status they are expected
at, counters add up, the first mark of an act stays, the outbox keeps the first copy of a message and lists newest
first with cursors bound to the listing, and one link secret per store. ``fail_next`` makes the next call of a
method raise (a crash or an outage at that point)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, NotFound, OrbitError, bad_cursor
from chalicelib.messaging.chat_links import LinkCode
from chalicelib.messaging.ledger import Claim
from chalicelib.messaging.outbound import COUNTERS, Mark, Message, OutboxItem, Status
from chalicelib.ports import MessageStore

_CURSOR = "fake-ob."
_SETTABLE = {f for f in Message.__dataclass_fields__ if f not in ("id", "counters", "first")}


def _through_json(item: OutboxItem) -> OutboxItem:
    """As the adapter reads it back: to, content and headers through JSON."""
    m = item.message
    return replace(
        item,
        message=replace(
            m,
            to=json.loads(json.dumps(m.to)),
            content=json.loads(json.dumps(m.content)),
            headers=json.loads(json.dumps(m.headers)),
        ),
    )


class FakeMessageStore:
    """``claims[digest]``, ``messages[id]``, ``marks[(id, act)]``, ``outboxed[id]``."""

    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}
        self.messages: dict[str, Message] = {}
        self.marks: dict[tuple[str, str], Mark] = {}
        self.outboxed: dict[str, OutboxItem] = {}
        self.secret: str | None = None
        self.provider_ids: dict[tuple[str, str], str] = {}  # (provider, provider id) -> message id
        self.link_codes: dict[str, LinkCode] = {}
        self.chats: dict[tuple[str, str], str] = {}  # (channel, identifier) -> contact key
        self.fail_next: dict[str, OrbitError] = {}  # method name -> the error its next call raises
        self._lock = threading.RLock()

    def _maybe_fail(self, method: str) -> None:
        error = self.fail_next.pop(method, None)
        if error is not None:
            raise error

    def claim(self, claim: Claim) -> Claim:
        self._maybe_fail("claim")
        with self._lock:
            return self.claims.setdefault(claim.key.digest, claim)

    def create_message(self, message: Message) -> Message:
        self._maybe_fail("create_message")
        with self._lock:
            stored = self.messages.setdefault(message.id, copy.deepcopy(message))
            return copy.deepcopy(stored)

    def message(self, message_id: str) -> Message | None:
        with self._lock:
            found = self.messages.get(message_id)
            return copy.deepcopy(found) if found is not None else None

    def update_message(self, message_id: str, expected: Status, changes: Mapping[str, Any]) -> Message:
        self._maybe_fail("update_message")
        unknown = set(changes) - _SETTABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a message")
        with self._lock:
            stored = self.messages.get(message_id)
            if stored is None:
                raise NotFound(f"Message {message_id!r} does not exist")
            if stored.status != expected:
                raise Conflict(f"Message {message_id!r} is {stored.status}, not {expected}")
            updated = replace(stored, **changes)
            self.messages[message_id] = updated
            return copy.deepcopy(updated)

    def count(self, message_id: str, counter: str, at: str) -> None:
        if counter not in COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        with self._lock:
            stored = self.messages.get(message_id)
            if stored is None:
                return
            stored.counters[counter] = stored.counters.get(counter, 0) + 1
            stored.first.setdefault(counter, at)

    def mark(self, message_id: str, act: str, at: str) -> Mark:
        self._maybe_fail("mark")
        with self._lock:
            return self.marks.setdefault((message_id, act), Mark(at=at, done=False))

    def mark_done(self, message_id: str, act: str) -> None:
        self._maybe_fail("mark_done")
        with self._lock:
            found = self.marks.get((message_id, act))
            if found is not None:
                self.marks[(message_id, act)] = Mark(at=found.at, done=True)

    def record_outbox(self, item: OutboxItem) -> None:
        self._maybe_fail("record_outbox")
        with self._lock:
            self.outboxed.setdefault(item.message.message_id, _through_json(item))

    def outbox(
        self, limit: int, cursor: str | None = None, *, channel: str | None = None, contact_key: str | None = None
    ) -> tuple[list[OutboxItem], str | None]:
        after = _decode(cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        with self._lock:
            ordered = sorted(self.outboxed.values(), key=lambda i: i.message.message_id, reverse=True)
        matching = [
            i
            for i in ordered
            if (after is None or i.message.message_id < after)
            and (channel is None or i.message.channel == channel)
            and (contact_key is None or i.message.contact_key == contact_key)
        ]
        page = matching[:limit]
        more = len(matching) > limit
        return page, _encode(page[-1].message.message_id) if more else None

    def outbox_item(self, message_id: str) -> OutboxItem | None:
        with self._lock:
            return self.outboxed.get(message_id)

    def remember_provider_id(self, provider: str, provider_id: str, message_id: str) -> None:
        self._maybe_fail("remember_provider_id")
        with self._lock:
            self.provider_ids[(provider, provider_id)] = message_id

    def message_by_provider_id(self, provider: str, provider_id: str) -> Message | None:
        with self._lock:
            found = self.provider_ids.get((provider, provider_id))
        return self.message(found) if found is not None else None

    def remember_link_code(self, link: LinkCode) -> None:
        with self._lock:
            self.link_codes[link.code] = link

    def link_code(self, code: str) -> LinkCode | None:
        with self._lock:
            return self.link_codes.get(code)

    def remember_chat(self, channel: str, identifier: str, contact_key: str) -> None:
        with self._lock:
            self.chats[(channel, identifier)] = contact_key

    def chat_contact(self, channel: str, identifier: str) -> str | None:
        with self._lock:
            return self.chats.get((channel, identifier))

    def stage_secret(self, candidate: str) -> str:
        with self._lock:
            if self.secret is None:
                self.secret = candidate
            return self.secret


def _encode(after: str) -> str:
    return encode_cursor(_CURSOR, {"after": after})


def _decode(cursor: str) -> str:
    data = decode_cursor(_CURSOR, cursor)
    if set(data) != {"after"} or not isinstance(data["after"], str) or not data["after"]:
        raise bad_cursor()
    return data["after"]


_: MessageStore = FakeMessageStore()
