"""In-memory ``SegmentStore`` and ``Memberships``: definitions, build progress, member states and counts, with
the adapter's rules (revisions, sticky done parts, versioned states, counts moved once per flip, cursors bound
to their listing)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import Clock, FixedClock, iso
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.ports import Memberships, SegmentStore
from chalicelib.segments.models import (
    UNREAD,
    BuildPart,
    BuildProgress,
    Generation,
    MemberState,
    SegmentDef,
    Unread,
    Written,
)
from tests.fakes.items import stored_value

_CURSOR = "fake."


def stored_definition(definition: SegmentDef) -> SegmentDef:
    """A fresh copy as the adapter reads it back: rules through JSON, tags as a tuple."""

    def through_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else json.loads(json.dumps(value, separators=(",", ":")))

    return definition.with_(
        tags=tuple(definition.tags), rule=through_json(definition.rule), exclude=through_json(definition.exclude)
    )


def stored_part(part: BuildPart) -> BuildPart:
    return BuildPart(scanned=part.scanned, members=part.members, done=part.done, cursor=stored_value(part.cursor))


def stored_state(state: MemberState) -> MemberState:
    """``next_at`` "" is not stored (an index key cannot be empty)."""
    return MemberState(state.member, state.version, state.since, state.next_at or None, state.changed_at)


class FakeSegmentStore:
    """``definitions[id]`` and ``builds[(id, generation)]``; ``clock`` stamps a build finished when its last
    part turns done."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.definitions: dict[str, SegmentDef] = {}
        self.builds: dict[tuple[str, int], BuildProgress] = {}
        self._lock = threading.RLock()

    def create_segment(self, definition: SegmentDef) -> None:
        with self._lock:
            if definition.id in self.definitions:
                raise Conflict(f"Segment {definition.id!r} already exists")
            self.definitions[definition.id] = stored_definition(definition)

    def segment(self, segment_id: str) -> SegmentDef | None:
        found = self.definitions.get(segment_id)
        return stored_definition(found) if found is not None else None

    def segments(self) -> list[SegmentDef]:
        with self._lock:
            found = [stored_definition(d) for d in self.definitions.values()]
        return sorted(found, key=lambda d: (d.created_at, d.id))

    def replace_segment(self, definition: SegmentDef, expected_revision: int) -> None:
        with self._lock:
            stored = self.definitions.get(definition.id)
            if stored is None:
                raise NotFound(f"Segment {definition.id!r} does not exist")
            if stored.revision != expected_revision:
                raise Conflict(
                    f"Segment {definition.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
                )
            self.definitions[definition.id] = stored_definition(definition)

    def delete_segment(self, segment_id: str) -> None:
        with self._lock:
            self.definitions.pop(segment_id, None)
            for key in [k for k in self.builds if k[0] == segment_id]:
                del self.builds[key]

    def start_build(self, progress: BuildProgress) -> None:
        with self._lock:
            key = (progress.segment_id, progress.generation)
            if key not in self.builds:
                stored = copy.deepcopy(progress)
                stored.parts = {n: stored_part(p) for n, p in sorted(progress.parts.items())}
                self.builds[key] = stored

    def build(self, generation: Generation) -> BuildProgress | None:
        with self._lock:
            found = self.builds.get((generation.segment_id, generation.number))
            return copy.deepcopy(found) if found is not None else None

    def record_part(self, generation: Generation, part: int, progress: BuildPart) -> BuildProgress:
        with self._lock:
            stored = self.builds.get((generation.segment_id, generation.number))
            if stored is None:
                raise NotFound(f"Segment {generation.segment_id!r} has no computation {generation.number}")
            current = stored.parts.get(part)
            if current is None or not current.done:
                stored.parts[part] = stored_part(progress)
                stored.parts = dict(sorted(stored.parts.items()))
            if stored.done and stored.finished_at is None:
                stored.finished_at = iso(self.clock.now())
            return copy.deepcopy(stored)


def _encode(generation: Generation, after: str) -> str:
    raw = json.dumps({"g": generation.ref, "after": after}, separators=(",", ":")).encode()
    return _CURSOR + base64.urlsafe_b64encode(raw).decode()


def _decode(generation: Generation, cursor: str) -> str:
    bad = InvalidInput("cursor is not valid", [ErrorDetail("cursor", "is not a cursor of this listing")])
    try:
        if not cursor.startswith(_CURSOR):
            raise ValueError("not a fake cursor")
        data = json.loads(base64.urlsafe_b64decode(cursor[len(_CURSOR) :].encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise bad from exc
    if not isinstance(data, dict) or set(data) != {"g", "after"} or data["g"] != generation.ref:
        raise bad
    if not isinstance(data["after"], str) or not data["after"]:
        raise bad
    return data["after"]


class FakeMemberships:
    """``by_generation[generation][contact key]`` and ``counts[generation]``."""

    def __init__(self) -> None:
        self.by_generation: dict[Generation, dict[str, MemberState]] = {}
        self.counts: dict[Generation, int] = {}
        self._lock = threading.RLock()

    def states(self, generation: Generation, keys: Collection[str]) -> dict[str, MemberState]:
        with self._lock:
            stored = self.by_generation.get(generation, {})
            return {k: stored[k] for k in dict.fromkeys(keys) if k in stored}

    def write(
        self, generation: Generation, key: str, new: MemberState, expected: MemberState | None | Unread = UNREAD
    ) -> Written:
        """``expected`` is only a hint to the adapter; the fake reads under its lock either way."""
        return self._change(generation, key, new.version, stored_state(new))

    def remove(self, generation: Generation, key: str, version: int) -> Written:
        return self._change(generation, key, version, None)

    def _change(self, generation: Generation, key: str, version: int, new: MemberState | None) -> Written:
        with self._lock:
            stored = self.by_generation.setdefault(generation, {})
            previous = stored.get(key)
            if previous is not None and previous.version > version:
                return Written(applied=False, previous=previous)
            if new is None:
                stored.pop(key, None)
            else:
                stored[key] = new
            delta = int(bool(new and new.member)) - int(bool(previous and previous.member))
            if delta:
                self.counts[generation] = self.counts.get(generation, 0) + delta
            return Written(applied=True, previous=previous)

    def members(
        self, generation: Generation, limit: int, cursor: str | None = None
    ) -> tuple[list[tuple[str, MemberState]], str | None]:
        after = _decode(generation, cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        with self._lock:
            listed = sorted((k, s) for k, s in self.by_generation.get(generation, {}).items() if s.member)
        if after is not None:
            listed = [(k, s) for k, s in listed if k > after]
        page = listed[:limit]
        return page, _encode(generation, page[-1][0]) if len(listed) > len(page) else None

    def count(self, generation: Generation) -> int:
        with self._lock:
            return self.counts.get(generation, 0)

    def for_contact(self, key: str) -> list[tuple[Generation, MemberState]]:
        with self._lock:
            found = [(g, states[key]) for g, states in self.by_generation.items() if key in states]
        return sorted(found, key=lambda pair: (pair[0].segment_id, pair[0].number))

    def due(self, generation: Generation, until: str, limit: int) -> list[tuple[str, MemberState]]:
        with self._lock:
            found = [
                (k, s) for k, s in self.by_generation.get(generation, {}).items() if s.next_at and s.next_at <= until
            ]
        found.sort(key=lambda pair: (pair[1].next_at or "", pair[0]))
        return found[: max(limit, 0)]

    def drop(self, generation: Generation) -> int:
        with self._lock:
            self.counts.pop(generation, None)
            return len(self.by_generation.pop(generation, {}))


_store: SegmentStore = FakeSegmentStore(FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
_memberships: Memberships = FakeMemberships()
