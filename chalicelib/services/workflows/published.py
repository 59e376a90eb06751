"""The published workflows a process acts on, parsed once and indexed by what can start, stop, resume or convert
a journey; refreshed every ``TTL_SECONDS`` (a workflow published a moment ago starts journeys within that time),
and at once in the process that published it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.ports import Ports
from chalicelib.workflows.blocks import WaitForEvent
from chalicelib.workflows.journeys import WorkflowRecord
from chalicelib.workflows.model import Workflow, parse_workflow

TTL_SECONDS = 10.0
log = logging.getLogger("orbit.workflows")


@dataclass(frozen=True)
class Live:
    record: WorkflowRecord
    workflow: Workflow


@dataclass
class Published:
    """The published workflows and, per event type, which of them it may start, stop, resume or convert."""

    live: list[Live] = field(default_factory=list)
    by_trigger_event: dict[str, list[Live]] = field(default_factory=dict)
    by_stop_event: dict[str, list[Live]] = field(default_factory=dict)
    waited_events: set[str] = field(default_factory=set)
    goal_events: set[str] = field(default_factory=set)
    taken_at: float = 0.0

    def by_id(self, workflow_id: str) -> Live | None:
        return next((w for w in self.live if w.record.id == workflow_id), None)

    @property
    def stops_on_orders(self) -> bool:
        return any(rule.order for w in self.live for rule in w.workflow.settings.stopWhen)


SEGMENT_ENTERED = "Segment Entered"


def index(records: list[tuple[WorkflowRecord, dict[str, Any]]]) -> Published:
    """Index the published workflows among ``records`` (each with the definition of its published revision)."""
    found = Published(taken_at=time.monotonic())
    for record, definition in records:
        if record.status != "published" or record.published is None:
            continue
        try:
            live = Live(record, parse_workflow(definition))
        except InvalidInput as exc:  # stored by an older release under rules since tightened: skip it, loudly
            log.error("published workflow %s does not parse: %s", record.id, exc.message)
            continue
        found.live.append(live)
        trigger = live.workflow.trigger
        if trigger.event:
            found.by_trigger_event.setdefault(trigger.event, []).append(live)
        if trigger.segment:
            found.by_trigger_event.setdefault(SEGMENT_ENTERED, []).append(live)
        for rule in live.workflow.settings.stopWhen:
            if rule.event:
                found.by_stop_event.setdefault(rule.event, []).append(live)
            if rule.segment:
                found.by_stop_event.setdefault(SEGMENT_ENTERED, []).append(live)
        found.waited_events.update(b.event for b in live.workflow.blocks.values() if isinstance(b, WaitForEvent))
        if live.workflow.settings.goal:
            found.goal_events.add(live.workflow.settings.goal.event)
    return found


class Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[int, Published] = {}

    def get(self, ports: Ports) -> Published:
        key = id(ports.workflows)
        with self._lock:
            held = self._held.get(key)
            if held is not None and time.monotonic() - held.taken_at < TTL_SECONDS:
                return held
        live = [r for r in ports.workflows.workflows() if r.status == "published" and r.published is not None]
        fresh = index([(r, ports.workflows.revision(r.id, r.published or 0) or r.definition) for r in live])
        with self._lock:
            self._held[key] = fresh
        return fresh

    def invalidate(self) -> None:
        with self._lock:
            self._held.clear()


PUBLISHED = Cache()
