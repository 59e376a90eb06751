"""One task run: a journey's stretch executed from its resume point to the next pause or end.

The run first counts how the previous pause was left (resumed by its event, timed out, or waited out), then checks
the stop rules, then runs block after block: conditions, splits and actions pick their branch and the next block.
It stops at a pause, answering the seconds Step Functions should wait (scaled by the stage's time scale), or at an
end, which finishes the journey. What it did goes into the execution's history and the per-block counters once per
step, however often Step Functions retries it.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import OrbitError, Retryable
from chalicelib.ports import Ports
from chalicelib.services import contacts
from chalicelib.services.workflows import checks, effects, revisions
from chalicelib.services.workflows.scope import BlockFailed, JourneyStopped, Scope
from chalicelib.workflows.blocks import (
    Condition,
    End,
    GenerateEvent,
    ListChange,
    OneFromMany,
    SendMessage,
    Split,
    UpdateContact,
    Wait,
    WaitForEvent,
    Webhook,
)
from chalicelib.workflows.journeys import StepRecord
from chalicelib.workflows.model import Workflow
from chalicelib.workflows.waits import scaled, wait_ends

log = logging.getLogger("orbit.workflows")
MAX_BLOCKS_PER_RUN = 200  # a checked workflow has no loop without a pause; this guards the impossible


class Tally:
    """The counters and history entries of one run."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.entries: list[dict[str, Any]] = []

    def add(self, block_id: str, counter: str) -> None:
        per = self.counts.setdefault(block_id, {})
        per[counter] = per.get(counter, 0) + 1

    def note(self, block_id: str, **detail: Any) -> None:
        self.entries.append({"block": block_id, **detail})


def scope_for(ports: Ports, payload: dict[str, Any], record: ContactRecord, now: datetime) -> Scope:
    journey = payload["journey"]
    step = payload.get("step") or {}
    return Scope(
        workflow_id=payload["workflow"],
        revision=int(payload["revision"]),
        execution=journey["execution"],
        seq=int(step.get("seq", 0)) + 1,
        contact=record,
        card=contacts.card(ports, record).model_dump(mode="json", exclude_none=True),
        trigger=journey.get("trigger") or {},
        started_at=journey["startedAt"],
        now=now,
        vars=dict(step.get("vars") or {}),
        last=step.get("last"),
        resumed=step.get("resumed") if isinstance(step.get("resumed"), dict) else None,
    )


def run(ports: Ports, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the stretch from ``payload["from"]``; the next step (``at``, ``seconds``, ``seq``, ``vars``, ``last``).
    JourneyStopped when a stop rule is met or the contact is gone; BlockFailed when a block fails for good."""
    workflow = revisions.load(ports, payload["workflow"], int(payload["revision"]))
    journey = payload["journey"]
    now = ports.clock.now()
    record = ports.contacts.load(journey["contactKey"])
    tally = Tally()
    previous = payload.get("step") or {}
    _left_pause(workflow, previous, tally)
    if record is None or record.kind != "contact":
        _finish(ports, payload, "stopped", now, tally, previous, reason="the contact no longer exists")
        raise JourneyStopped("the contact no longer exists")
    scope = scope_for(ports, payload, record, now)
    met = checks.stop_met(ports, workflow, record, scope)
    if met is not None:
        tally.note(payload["from"], stopped=met)
        _finish(ports, payload, "stopped", now, tally, previous, reason=met, seq=scope.seq)
        raise JourneyStopped(f"stop rule {met} met")
    rng = random.Random(f"{scope.execution}:{scope.seq}")
    block_id = payload["from"]
    for _ in range(MAX_BLOCKS_PER_RUN):
        block = workflow.blocks[block_id]
        tally.add(block_id, "entered")
        if isinstance(block, End):
            tally.note(block_id, branch="end")
            _finish(ports, payload, "finished", now, tally, previous, seq=scope.seq)
            return _answer(scope, block_id, 0)
        if isinstance(block, Wait):
            ends = wait_ends(block, now, record.profile, record.fields, scope.trigger)
            tally.note(block_id, until=iso(ends))
            _record(ports, scope, tally)
            return _answer(scope, block_id, scaled((ends - now).total_seconds(), ports.settings.time_scale))
        if isinstance(block, WaitForEvent):
            tally.note(block_id, waitingFor=block.event)
            _record(ports, scope, tally)
            seconds = scaled(block.timeout.seconds, ports.settings.time_scale, at_least=1)
            return _answer(scope, block_id, seconds)
        try:
            branch, target, detail = _act(ports, workflow, block_id, block, scope, rng)
        except BlockFailed as exc:
            tally.add(block_id, "failed")
            tally.note(block_id, failed=str(exc))
            _record(ports, scope, tally)
            raise
        except (Retryable, OrbitError) as exc:
            if isinstance(exc, Retryable):
                raise
            tally.add(block_id, "failed")
            tally.note(block_id, failed=exc.message)
            _record(ports, scope, tally)
            raise BlockFailed(exc.message) from exc
        tally.add(block_id, f"exit:{branch}")
        tally.note(block_id, branch=branch, **detail)
        block_id = target
    raise BlockFailed(f"more than {MAX_BLOCKS_PER_RUN} blocks without a pause")


def _act(
    ports: Ports, workflow: Workflow, block_id: str, block: Any, scope: Scope, rng: random.Random
) -> effects.Outcome:
    if isinstance(block, Condition):
        answer = checks.condition(ports, workflow, block_id, block, scope)
        return ("yes", block.next.yes, {}) if answer else ("no", block.next.no, {})
    if isinstance(block, Split):
        return effects.split(block, scope, rng)
    if isinstance(block, SendMessage):
        return effects.send_message(ports, workflow, block_id, block, scope, block.template)
    if isinstance(block, OneFromMany):
        return effects.one_from_many(ports, workflow, block_id, block, scope, rng)
    if isinstance(block, UpdateContact):
        return effects.update_contact(ports, block_id, block, scope)
    if isinstance(block, ListChange):
        return effects.change_list(ports, block, scope)
    if isinstance(block, Webhook):
        return effects.webhook(ports, block_id, block, scope)
    if isinstance(block, GenerateEvent):
        return effects.generate_event(ports, block_id, block, scope)
    raise BlockFailed(f"block {block_id!r} of type {block.type!r} cannot run here")


def _left_pause(workflow: Workflow, previous: dict[str, Any], tally: Tally) -> None:
    """Count how the pause the journey comes from was left."""
    at = previous.get("at")
    if not isinstance(at, str) or at not in workflow.blocks:
        return
    block = workflow.blocks[at]
    if isinstance(block, WaitForEvent):
        tally.add(at, "exit:timeout" if "timedOut" in previous else "exit:event")
    elif isinstance(block, Wait):
        tally.add(at, "exit:next")


def _answer(scope: Scope, at: str, seconds: int) -> dict[str, Any]:
    return {"seq": scope.seq, "at": at, "seconds": seconds, "vars": scope.vars, "last": scope.last}


def _record(ports: Ports, scope: Scope, tally: Tally) -> None:
    step = StepRecord(scope.execution, scope.seq, iso(scope.now), tuple(tally.entries))
    ports.journeys.record_step(scope.workflow_id, step, tally.counts)


def _finish(
    ports: Ports,
    payload: dict[str, Any],
    status: str,
    now: datetime,
    tally: Tally,
    previous: dict[str, Any],
    *,
    reason: str | None = None,
    seq: int | None = None,
) -> None:
    journey = payload["journey"]
    at = iso(now.astimezone(UTC))
    if reason:
        tally.entries.append({"block": payload["from"], "ended": status, "reason": reason})
    step = StepRecord(
        journey["execution"], seq if seq is not None else int(previous.get("seq", 0)) + 1, at, tuple(tally.entries)
    )
    ports.journeys.record_step(payload["workflow"], step, tally.counts)
    ports.journeys.end(payload["workflow"], journey["contactKey"], journey["execution"], status, at)  # type: ignore[arg-type]
