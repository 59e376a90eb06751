"""What segments and lists are as stored: definitions, generations, build progress and member states."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

SegmentKind = Literal["list", "segment"]
PARTS = 8  # parallel-scan segments of a full computation (each a resumable chain of queue messages)


@dataclass(frozen=True)
class Generation:
    """One computation of a segment's membership: lists have only generation 0; a dynamic segment gets a new
    generation each time its rule is saved, and serves the previous one until the new one is complete."""

    segment_id: str
    number: int

    @property
    def ref(self) -> str:
        return f"{self.segment_id}#{self.number}"


@dataclass(frozen=True)
class SegmentDef:
    """A list or a dynamic segment. ``generation`` is the membership being served; ``building`` the one being
    computed (None: none). ``revision`` grows with every save (optimistic concurrency)."""

    id: str
    kind: SegmentKind
    name: str
    tags: tuple[str, ...] = ()
    description: str | None = None
    rule: dict[str, Any] | None = None  # dynamic segments only, as the client gave it (validated)
    exclude: dict[str, Any] | None = None
    active: bool = True
    generation: int = 0
    building: int | None = None
    revision: int = 1
    created_at: str = ""
    updated_at: str = ""

    @property
    def serving(self) -> Generation:
        return Generation(self.id, self.generation)

    def with_(self, **changes: Any) -> SegmentDef:
        return replace(self, **changes)


@dataclass(frozen=True)
class MemberState:
    """A contact's state in one generation. Members have ``since``; a non-member is stored only while a
    moment (``next_at``) is known at which time alone may change its membership. ``version`` is the contact
    version evaluated (0 for list members): a write never replaces a state evaluated on a newer version."""

    member: bool
    version: int
    since: str | None = None
    next_at: str | None = None
    changed_at: str = ""  # when it last entered or left


class Unread:
    """No state was read: the write must read what is stored first."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = Unread()


@dataclass(frozen=True)
class Written:
    """What a membership write did: whether it applied (False: a newer evaluation was stored; nothing
    changed) and the state it replaced (None: there was none)."""

    applied: bool
    previous: MemberState | None


@dataclass
class BuildPart:
    """One parallel-scan segment of a full computation: how far it got and what it found."""

    scanned: int = 0
    members: int = 0
    done: bool = False
    cursor: dict[str, Any] | None = None


@dataclass
class BuildProgress:
    """A full computation of one generation, part by part."""

    segment_id: str
    generation: int
    started_at: str
    parts: dict[int, BuildPart] = field(default_factory=dict)
    finished_at: str | None = None
    total_estimate: int | None = None  # contacts in the table when it started (approximate)

    @property
    def scanned(self) -> int:
        return sum(p.scanned for p in self.parts.values())

    @property
    def done(self) -> bool:
        return bool(self.parts) and all(p.done for p in self.parts.values())
