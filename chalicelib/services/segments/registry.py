"""The active segments of a process, parsed once: each rule with what it reads, the counters it needs and the
segments it depends on, in dependency order. Refreshed every ``TTL_SECONDS`` and at once after this process
changes a definition, so a function that did not make the change sees it within ``TTL_SECONDS``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.ports import Ports
from chalicelib.segments import reads, rules
from chalicelib.segments.counter_specs import CounterSpec, combine, specs
from chalicelib.segments.models import Generation, SegmentDef

TTL_SECONDS = 10.0


@dataclass(frozen=True)
class Compiled:
    """A segment ready to evaluate."""

    definition: SegmentDef
    rule: rules.Condition
    exclude: rules.Condition | None
    reads: reads.Reads
    counters: tuple[CounterSpec, ...]
    depends: frozenset[str]

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def generations(self) -> list[Generation]:
        """The generation served, and the one being computed (real-time changes keep both current)."""
        found = [self.definition.serving]
        if self.definition.building is not None:
            found.append(Generation(self.id, self.definition.building))
        return found


@dataclass(frozen=True)
class Snapshot:
    """Everything evaluation needs from the definitions, as of one refresh."""

    segments: tuple[Compiled, ...]  # active dynamic segments, a segment after those it names
    lists: frozenset[str]
    field_types: dict[str, str]
    taken_at: float

    @property
    def counter_specs(self) -> list[CounterSpec]:
        return combine(spec for c in self.segments for spec in c.counters)

    def by_id(self) -> dict[str, Compiled]:
        return {c.id: c for c in self.segments}


def compile_segment(definition: SegmentDef, counter_window_days: int) -> Compiled:
    assert definition.rule is not None, "a dynamic segment has a rule"
    rule = rules.parse_condition(definition.rule, "rule")
    exclude = rules.parse_condition(definition.exclude, "exclude") if definition.exclude else None
    named = rules.leaves(rule) + (rules.leaves(exclude) if exclude else [])
    return Compiled(
        definition=definition,
        rule=rule,
        exclude=exclude,
        reads=reads.reads(rule, exclude),
        counters=tuple(specs(rule, exclude, counter_window_days)),
        depends=frozenset(leaf.inSegment for leaf in named if isinstance(leaf, rules.SegmentCondition)),
    )


def _ordered(compiled: list[Compiled]) -> tuple[Compiled, ...]:
    """Dependencies first (definitions refuse cycles; a cycle stored anyway keeps the stored order)."""
    by_id = {c.id: c for c in compiled}
    done: dict[str, Compiled] = {}
    visiting: set[str] = set()

    def visit(c: Compiled) -> None:
        if c.id in done or c.id in visiting:
            return
        visiting.add(c.id)
        for dep in sorted(c.depends):
            if dep in by_id:
                visit(by_id[dep])
        done[c.id] = c

    for c in compiled:
        visit(c)
    return tuple(done.values())


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[int, Snapshot] = {}

    def snapshot(self, ports: Ports) -> Snapshot:
        key = id(ports.segments)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and time.monotonic() - cached.taken_at < TTL_SECONDS:
                return cached
        fresh = self._load(ports)
        with self._lock:
            self._cache[key] = fresh
        return fresh

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    @staticmethod
    def _load(ports: Ports) -> Snapshot:
        definitions = ports.segments.segments()
        window = ports.settings.counter_window_days
        compiled = [compile_segment(d, window) for d in definitions if d.kind == "segment" and d.active and d.rule]
        declared: dict[str, FieldDeclaration] = ports.fields.fields()
        return Snapshot(
            segments=_ordered(compiled),
            lists=frozenset(d.id for d in definitions if d.kind == "list"),
            field_types={name: decl.type for name, decl in declared.items()},
            taken_at=time.monotonic(),
        )


REGISTRY = Registry()
