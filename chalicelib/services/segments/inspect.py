"""Looking at segments as a marketer edits them: a rule's size and sample members without saving it
(``preview``), and why one contact is in a segment or not (``explain``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.errors import NotFound
from chalicelib.ports import Ports
from chalicelib.segments import rules
from chalicelib.segments.evaluate import evaluate
from chalicelib.segments.models import PARTS
from chalicelib.services.segments import definitions, membership
from chalicelib.services.segments.registry import REGISTRY, compile_segment

SAMPLE = 10
PREVIEW_SECONDS = 20.0  # past this the preview answers with an estimate from the contacts it read


@dataclass
class Preview:
    count: int = 0
    scanned: int = 0
    complete: bool = True
    sample: list[str] = field(default_factory=list)


def preview(ports: Ports, body: rules.SegmentIn, budget: float = PREVIEW_SECONDS) -> Preview:
    """Evaluate an unsaved rule over the contacts, part by part, within ``budget`` seconds; past it the count
    is extrapolated from the parts read (``complete`` false)."""
    rule, exclude = definitions.checked_rule(ports, body, None)
    reads_memberships = any(
        isinstance(leaf, rules.ListCondition | rules.SegmentCondition) for leaf in rules.leaves(rule)
    )
    snapshot = REGISTRY.snapshot(ports)
    deadline = time.monotonic() + budget
    found = Preview()
    parts_done = 0
    now = ports.clock.now()
    for part in range(PARTS):
        cursor: dict[str, Any] | None = None
        while True:
            records, cursor = ports.contacts.scan_part(part, PARTS, 200, cursor)
            for record in records:
                states = membership.stored_states(ports, record.key) if reads_memberships else {}
                verdict = evaluate(rule, exclude, membership.facts_for(ports, snapshot, record, states, now))
                found.scanned += 1
                if verdict.member:
                    found.count += 1
                    if len(found.sample) < SAMPLE:
                        found.sample.append(keys.external_id(record.key) or record.key)
            if cursor is None or time.monotonic() >= deadline:
                break
        if cursor is not None:  # out of time inside this part: extrapolate from the whole parts read
            found.complete = False
            break
        parts_done += 1
    if not found.complete and parts_done:
        found.count = round(found.count * PARTS / parts_done)
    return found


def explain(ports: Ports, segment_id: str, external_id: str) -> dict[str, Any]:
    """Every condition's truth value and the data it used, since when the contact is a member (served
    generation) and when its membership may next change with time alone."""
    definition = definitions.get(ports, segment_id, "segment")
    record = ports.contacts.load(keys.known(external_id))
    if record is None or record.kind != "contact":
        raise NotFound(f"No contact {external_id!r}")
    snapshot = REGISTRY.snapshot(ports)
    compiled = snapshot.by_id().get(segment_id) or compile_segment(definition, ports.settings.counter_window_days)
    states = membership.stored_states(ports, record.key)
    now = ports.clock.now()
    verdict = evaluate(compiled.rule, compiled.exclude, membership.facts_for(ports, snapshot, record, states, now))
    stored = states.get(definition.serving)
    return {
        "segmentId": segment_id,
        "externalId": external_id,
        "evaluatedAt": iso(now),
        "member": verdict.member,
        "storedMember": bool(stored and stored.member),
        "memberSince": stored.since if stored and stored.member else None,
        "nextChange": iso(verdict.next_change) if verdict.next_change else None,
        "contactVersion": record.version,
        "conditions": [node.as_dict() for node in verdict.explanation],
    }
