"""Ports of lists and segments: their definitions and their members."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

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


class SegmentStore(Protocol):
    """List and segment definitions, and the progress of their full computations."""

    def create_segment(self, definition: SegmentDef) -> None:
        """Store a new definition; Conflict when its id exists."""
        ...

    def segment(self, segment_id: str) -> SegmentDef | None: ...

    def segments(self) -> list[SegmentDef]:
        """Every definition (lists and segments), oldest first."""
        ...

    def replace_segment(self, definition: SegmentDef, expected_revision: int) -> None:
        """Store ``definition`` (its ``revision`` already raised) only if the stored one is at
        ``expected_revision``; Conflict otherwise, writing nothing. NotFound when it is gone."""
        ...

    def delete_segment(self, segment_id: str) -> None:
        """Remove the definition and its build records (memberships are dropped through ``Memberships``)."""
        ...

    def start_build(self, progress: BuildProgress) -> None:
        """Record a full computation's start (its parts not done); starting the same generation again keeps
        the stored progress."""
        ...

    def build(self, generation: Generation) -> BuildProgress | None: ...

    def record_part(self, generation: Generation, part: int, progress: BuildPart) -> BuildProgress:
        """Store one part's progress and return the whole computation as stored after it. A part that is
        done stays done (a redelivered message cannot move it back)."""
        ...


class Memberships(Protocol):
    """Who is in each generation of each list and segment, with the moment time alone may change it, and
    member counts kept exactly once per transition."""

    def states(self, generation: Generation, keys: Collection[str]) -> dict[str, MemberState]:
        """The stored states of these contacts (absent: not a member, nothing due)."""
        ...

    def write(
        self, generation: Generation, key: str, new: MemberState, expected: MemberState | None | Unread = UNREAD
    ) -> Written:
        """Store ``new`` unless the stored state was evaluated on a newer contact version (equal versions
        overwrite: a sweep re-evaluates the same version later). The generation's member count changes by
        one exactly when membership flips, in the same atomic write. ``expected``: the state the caller read
        (None: none), a hint that spares a read when it is still what is stored; a stale hint costs a retry,
        never a wrong write or count."""
        ...

    def remove(self, generation: Generation, key: str, version: int) -> Written:
        """Remove the state unless it was evaluated on a version newer than ``version`` (count as ``write``)."""
        ...

    def members(
        self, generation: Generation, limit: int, cursor: str | None = None
    ) -> tuple[list[tuple[str, MemberState]], str | None]:
        """Up to ``limit`` members (never stored non-members) and a cursor for the next page (None: no more);
        a page may hold fewer while more follow. A cursor not from this listing is InvalidInput."""
        ...

    def count(self, generation: Generation) -> int:
        """Members of the generation (kept by ``write``; never a scan)."""
        ...

    def for_contact(self, key: str) -> list[tuple[Generation, MemberState]]:
        """Every state stored for a contact, any list, segment or generation."""
        ...

    def due(self, generation: Generation, until: str, limit: int) -> list[tuple[str, MemberState]]:
        """Up to ``limit`` states whose ``next_at`` is at or before ``until`` (ISO text), earliest first."""
        ...

    def drop(self, generation: Generation) -> int:
        """Remove every state and the count of a generation (idempotent); returns how many states went."""
        ...
