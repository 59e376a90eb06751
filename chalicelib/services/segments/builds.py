"""Full computations: a new or edited segment's membership from every contact, fanned out over parallel-scan
parts that each run as a chain of queue messages (one page budget per message), so a computation scales past
one function's time limit, resumes where a crash left it, and counts nothing twice (states are written under
their contact version; counts move only on a flip). The generation served until then keeps serving; the new
one takes over, and the old one is dropped, when every part is done."""

from __future__ import annotations

import logging
import time

from chalicelib.clock import iso
from chalicelib.errors import Conflict
from chalicelib.messages import SegmentBuildMsg
from chalicelib.ports import Ports
from chalicelib.segments.evaluate import evaluate
from chalicelib.segments.models import PARTS, BuildPart, BuildProgress, Generation, SegmentDef
from chalicelib.services.segments import membership
from chalicelib.services.segments.registry import REGISTRY, Compiled, Snapshot, compile_segment

log = logging.getLogger("orbit.segments")

PAGE = 200  # contacts read per Scan call
BUDGET_SECONDS = 60.0  # a message's work before it hands the rest of its part to the next message


def start(ports: Ports, definition: SegmentDef) -> BuildProgress:
    """Record and queue the computation of ``definition.building``."""
    assert definition.building is not None, "a computation needs a generation to build"
    progress = BuildProgress(
        segment_id=definition.id,
        generation=definition.building,
        started_at=iso(ports.clock.now()),
        parts={n: BuildPart() for n in range(PARTS)},
    )
    ports.segments.start_build(progress)
    ports.publisher.publish(
        [
            SegmentBuildMsg(segmentId=definition.id, generation=definition.building, part=n, parts=PARTS)
            for n in range(PARTS)
        ]
    )
    REGISTRY.invalidate()
    return progress


def run_part(ports: Ports, message: SegmentBuildMsg, budget: float | None = None) -> None:
    """Evaluate one part's contacts from the message's cursor for up to ``budget`` seconds; then either queue
    the rest of the part or mark it done (and finish the computation when it was the last)."""
    definition = ports.segments.segment(message.segmentId)
    generation = Generation(message.segmentId, message.generation)
    if definition is None or definition.building != message.generation:
        log.info("segment computation superseded", extra={"segment": message.segmentId, "gen": message.generation})
        return
    progress = ports.segments.build(generation)
    part = progress.parts.get(message.part) if progress else None
    if part is not None and part.done:
        return  # a redelivered message of a finished part
    if part is not None and part.scanned and part.cursor != message.cursor:
        return  # a redelivered message the part has moved past (its successor carries the part on)
    compiled = compile_segment(definition, ports.settings.counter_window_days)
    snapshot = REGISTRY.snapshot(ports)
    reached = part or BuildPart()
    cursor = message.cursor
    deadline = time.monotonic() + (BUDGET_SECONDS if budget is None else budget)
    named = _named_generations(compiled, snapshot)
    while True:
        records, cursor = ports.contacts.scan_part(message.part, message.parts, PAGE, cursor)
        page_keys = [r.key for r in records]
        own = ports.memberships.states(generation, page_keys) if records else {}
        theirs = {g: ports.memberships.states(g, page_keys) for g in named} if records else {}
        now = ports.clock.now()
        for record in records:
            states = {g: found[record.key] for g, found in theirs.items() if record.key in found}
            verdict = evaluate(
                compiled.rule, compiled.exclude, membership.facts_for(ports, snapshot, record, states, now)
            )
            membership.store(ports, generation, record, own.get(record.key), verdict, iso(now), now)
            reached.scanned += 1
            reached.members += int(verdict.member)
        if cursor is None or time.monotonic() >= deadline:
            break
    reached.cursor, reached.done = cursor, cursor is None
    after = ports.segments.record_part(generation, message.part, reached)
    if cursor is not None:
        ports.publisher.publish([message.model_copy(update={"cursor": cursor})])
    elif after.done:
        finish(ports, generation)


def _named_generations(compiled: Compiled, snapshot: Snapshot) -> list[Generation]:
    """The generations a rule reads membership from: each list it names, and each segment's served one."""
    served = {c.id: c.definition.serving for c in snapshot.segments}
    lists = [Generation(list_id, 0) for list_id in sorted(compiled.reads.lists)]
    return lists + [served[s] for s in sorted(compiled.reads.segments) if s in served]


def finish(ports: Ports, generation: Generation) -> None:
    """Serve the computed generation and drop the one it replaces (idempotent: the last parts may finish
    together, and a redelivered message may call it again)."""
    for _attempt in range(5):
        definition = ports.segments.segment(generation.segment_id)
        if definition is None or definition.building != generation.number:
            return
        old = definition.generation
        done = definition.with_(
            generation=generation.number,
            building=None,
            revision=definition.revision + 1,
            updated_at=iso(ports.clock.now()),
        )
        try:
            ports.segments.replace_segment(done, definition.revision)
        except Conflict:
            continue
        REGISTRY.invalidate()
        if old != generation.number:
            ports.memberships.drop(Generation(generation.segment_id, old))
        log.info("segment computed", extra={"segment": generation.segment_id, "gen": generation.number})
        return
    raise Conflict(f"segment {generation.segment_id} kept changing while its computation finished")
