"""In-memory ``WorkflowStore`` and ``JourneyStore``: workflow records with their published revisions, and journeys
with parked waits, block counters, step history and variant statistics, under the adapters' contracts (the same
re-entry rules, one winner per race, each step and each park taken once)."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.clock import Clock, SystemClock
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import bad_cursor
from chalicelib.ports import JourneyStore, WorkflowStore
from chalicelib.storage.documents import Head
from chalicelib.workflows.journeys import RUNNING, BlockCounts, Journey, JourneyStatus, Park, StepRecord, WorkflowRecord
from tests.fakes.documents import FakeDocuments


class FakeWorkflowStore:
    """``documents`` and ``revisions[(id, revision)]``."""

    def __init__(self) -> None:
        self.documents = FakeDocuments("Workflow", lambda r: Head(r.id, r.revision, r.created_at), copy.deepcopy)
        self.revisions: dict[tuple[str, int], dict[str, Any]] = {}
        self._lock = threading.RLock()

    def create_workflow(self, record: WorkflowRecord) -> None:
        self.documents.create(record)

    def workflow(self, workflow_id: str) -> WorkflowRecord | None:
        return self.documents.get(workflow_id)

    def workflows(self) -> list[WorkflowRecord]:
        return self.documents.all()

    def replace_workflow(self, record: WorkflowRecord, expected_revision: int) -> None:
        self.documents.replace(record, expected_revision)

    def save_revision(self, workflow_id: str, revision: int, definition: dict[str, Any]) -> None:
        with self._lock:
            self.revisions.setdefault((workflow_id, revision), copy.deepcopy(definition))

    def revision(self, workflow_id: str, revision: int) -> dict[str, Any] | None:
        found = self.revisions.get((workflow_id, revision))
        return copy.deepcopy(found) if found is not None else None


def _cursor(workflow_id: str, after: Journey) -> str:
    return encode_cursor("fj.", {"wf": workflow_id, "sa": after.started_at, "ex": after.execution})


def _after(workflow_id: str, cursor: str) -> tuple[str, str]:
    """The (start, execution) a page continues after (older ones follow); InvalidInput for a foreign cursor."""
    key = decode_cursor("fj.", cursor)
    started_at, execution = key.get("sa"), key.get("ex")
    if key.get("wf") != workflow_id or not isinstance(started_at, str) or not isinstance(execution, str):
        raise bad_cursor()
    return started_at, execution


class FakeJourneyStore:
    """``journeys[(workflow, contact)]``, ``listed[workflow]`` (every journey begun, oldest first), ``parks``,
    ``steps[(execution, seq)]``, ``counters[workflow][block][counter]``, ``sends``/``clicks``, ``recent`` and the
    ``claimed`` occasions."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.journeys: dict[tuple[str, str], Journey] = {}
        self.listed: dict[str, list[Journey]] = {}
        self.parks: dict[tuple[str, str, str], Park] = {}  # (contact, event, park id)
        self.steps: dict[tuple[str, int], StepRecord] = {}
        self.counters: dict[str, dict[str, dict[str, int]]] = {}
        self.sends: dict[tuple[str, str, str], int] = {}
        self.clicks: dict[tuple[str, str, str], int] = {}
        self.recent: dict[tuple[str, str, str], dict[str, str]] = {}
        self.claimed: set[tuple[str, str]] = set()  # (workflow, occasion)
        self._lock = threading.RLock()

    def begin(self, journey: Journey, *, skip_if_inside: bool, once: bool, not_since: str | None) -> bool:
        key = (journey.workflow_id, journey.contact_key)
        with self._lock:
            stored = self.journeys.get(key)
            if stored is not None and (
                stored.execution == journey.execution  # a duplicate trigger
                or once
                or (skip_if_inside and stored.status == RUNNING)
                or (not_since is not None and stored.started_at > not_since)
            ):
                return False
            begun = replace(journey, entries=stored.entries + 1 if stored else 1)
            self.journeys[key] = begun
            self.listed.setdefault(journey.workflow_id, []).append(begun)
            return True

    def journey(self, workflow_id: str, contact_key: str) -> Journey | None:
        return self.journeys.get((workflow_id, contact_key))

    def journeys_of(self, contact_key: str) -> list[Journey]:
        with self._lock:
            return sorted(
                (j for j in self.journeys.values() if j.contact_key == contact_key), key=lambda j: j.workflow_id
            )

    def _change(self, workflow_id: str, contact_key: str, execution: str, **changes: Any) -> Journey | None:
        """The journey with ``changes``, stored (and in the listing) when it is ``execution``; else None."""
        stored = self.journeys.get((workflow_id, contact_key))
        if stored is None or stored.execution != execution:
            return None
        changed = replace(stored, **changes)
        self.journeys[(workflow_id, contact_key)] = changed
        listing = self.listed[workflow_id]
        for index, listed in enumerate(listing):
            if listed.execution == execution and listed.contact_key == contact_key:
                listing[index] = changed
        return changed

    def end(self, workflow_id: str, contact_key: str, execution: str, status: JourneyStatus, at: str) -> bool:
        with self._lock:
            stored = self.journeys.get((workflow_id, contact_key))
            if stored is None or stored.status != RUNNING:
                return False
            return self._change(workflow_id, contact_key, execution, status=status, ended_at=at) is not None

    def set_execution_arn(self, workflow_id: str, contact_key: str, execution: str, arn: str) -> None:
        with self._lock:
            self._change(workflow_id, contact_key, execution, execution_arn=arn)

    def reach_goal(self, workflow_id: str, contact_key: str, execution: str, at: str) -> bool:
        with self._lock:
            stored = self.journeys.get((workflow_id, contact_key))
            if stored is None or stored.goal_at is not None:
                return False
            return self._change(workflow_id, contact_key, execution, goal_at=at) is not None

    def executions(self, workflow_id: str, limit: int, cursor: str | None = None) -> tuple[list[Journey], str | None]:
        after = _after(workflow_id, cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        with self._lock:
            listed = self.listed.get(workflow_id, [])
            newest = sorted(listed, key=lambda j: (j.started_at, j.execution), reverse=True)
        older = [j for j in newest if after is None or (j.started_at, j.execution) < after]
        page = older[:limit]
        return page, _cursor(workflow_id, page[-1]) if len(older) > limit else None

    def claim_occasion(self, workflow_id: str, occasion: str) -> bool:
        with self._lock:
            if (workflow_id, occasion) in self.claimed:
                return False
            self.claimed.add((workflow_id, occasion))
            return True

    def park(self, park: Park) -> None:
        with self._lock:
            self.parks.setdefault((park.contact_key, park.event, park.park_id), park)

    def parked(self, contact_key: str, event: str) -> list[Park]:
        now = self.clock.now()
        with self._lock:
            found = [p for (ck, ev, _), p in sorted(self.parks.items()) if (ck, ev) == (contact_key, event)]
        return [p for p in found if datetime.fromisoformat(p.expires_at) > now]

    def unpark(self, park: Park) -> bool:
        with self._lock:
            return self.parks.pop((park.contact_key, park.event, park.park_id), None) is not None

    def record_step(self, workflow_id: str, step: StepRecord, counts: dict[str, dict[str, int]]) -> bool:
        with self._lock:
            if (step.execution, step.seq) in self.steps:
                return False
            self.steps[(step.execution, step.seq)] = copy.deepcopy(step)
            self.add_counts(workflow_id, counts)
            return True

    def add_counts(self, workflow_id: str, counts: dict[str, dict[str, int]]) -> None:
        with self._lock:
            blocks = self.counters.setdefault(workflow_id, {})
            for block, counters in counts.items():
                for name, n in counters.items():
                    if n:
                        kept = blocks.setdefault(block, {})
                        kept[name] = kept.get(name, 0) + n

    def counts(self, workflow_id: str) -> BlockCounts:
        with self._lock:
            return BlockCounts(copy.deepcopy(self.counters.get(workflow_id, {})))

    def history(self, execution: str) -> list[StepRecord]:
        with self._lock:
            return [copy.deepcopy(s) for (ex, _), s in sorted(self.steps.items()) if ex == execution]

    def variant_sent(self, workflow_id: str, block: str, template_id: str, contact_key: str, at: str) -> None:
        with self._lock:
            key = (workflow_id, block, template_id)
            self.sends[key] = self.sends.get(key, 0) + 1
            self.recent.setdefault((workflow_id, block, contact_key), {})[template_id] = at

    def variant_clicked(self, workflow_id: str, block: str, template_id: str) -> None:
        with self._lock:
            key = (workflow_id, block, template_id)
            self.clicks[key] = self.clicks.get(key, 0) + 1

    def variants(self, workflow_id: str, block: str) -> dict[str, tuple[int, int]]:
        with self._lock:
            templates = {t for (wf, b, t) in [*self.sends, *self.clicks] if (wf, b) == (workflow_id, block)}
            return {
                t: (self.sends.get((workflow_id, block, t), 0), self.clicks.get((workflow_id, block, t), 0))
                for t in templates
            }

    def recent_variants(self, workflow_id: str, block: str, contact_key: str) -> dict[str, str]:
        with self._lock:
            return dict(self.recent.get((workflow_id, block, contact_key), {}))


_workflows: WorkflowStore = FakeWorkflowStore()
_journeys: JourneyStore = FakeJourneyStore(SystemClock())
