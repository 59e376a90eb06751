"""The time sweep: re-evaluate only the contacts whose stored moment has passed ("leaves 'viewed in the last
7 days' at 2026-12-04T00:00Z"), never the whole table. Scheduled every minute; each state due is evaluated
at its own moment, so the events it emits are dated when the change happened, not when the sweep ran."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.clock import iso
from chalicelib.ports import Ports
from chalicelib.services.segments import membership
from chalicelib.services.segments.registry import REGISTRY

log = logging.getLogger("orbit.segments")
PAGE = 200


@dataclass
class SweepResult:
    segments: int = 0
    due: int = 0
    evaluated: int = 0
    entered: int = 0
    exited: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def sweep(ports: Ports, max_contacts: int = 50_000) -> SweepResult:
    """Every active segment's due states (served and building generations), oldest moment first."""
    result = SweepResult()
    snapshot = REGISTRY.snapshot(ports)
    until = iso(ports.clock.now())
    for compiled in snapshot.segments:
        result.segments += 1
        for generation in compiled.generations:
            while result.evaluated < max_contacts:
                due = ports.memberships.due(generation, until, PAGE)
                if not due:
                    break
                result.due += len(due)
                records = ports.contacts.load_many([key for key, _ in due])
                progressed = False
                for key, state in due:
                    record = records.get(key)
                    if record is None or record.kind != "contact":
                        progressed |= ports.memberships.remove(generation, key, membership.REMOVED_VERSION).applied
                        continue
                    at = state.next_at or until
                    for t in membership.reevaluate(
                        ports, snapshot, record, membership.affected(snapshot, [compiled.id]), at=at
                    ):
                        result.entered += int(t.entered)
                        result.exited += int(not t.entered)
                    result.evaluated += 1
                after = ports.memberships.states(generation, [key for key, _ in due])
                progressed |= any(
                    key not in after or after[key].next_at != state.next_at for key, state in due if key in records
                )
                if not progressed:  # nothing moved (a newer evaluation owns these): leave them to the next run
                    log.warning("due states did not move", extra={"segment": compiled.id, "count": len(due)})
                    break
    log.info("segment sweep finished", extra=result.as_dict())
    return result
