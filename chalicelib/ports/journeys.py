"""Ports of workflows: their records and journeys, Step Functions, and webhooks."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.workflows.journeys import BlockCounts, Journey, JourneyStatus, Park, StepRecord, WorkflowRecord


class Webhooks(Protocol):
    """Calls a workflow's webhook blocks make."""

    def call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        """The answer's status and its JSON (None when it is not JSON). Permanent for a URL that is not https or
        resolves to a private, loopback or link-local address (unless the stage allows private webhooks);
        Retryable when it cannot be reached or answers 408, 429 or 5xx."""
        ...


class StateMachines(Protocol):
    """Step Functions: deploying a workflow's definition and running executions of it."""

    def deploy(self, name: str, definition: str, express: bool = False) -> tuple[str, str]:
        """Create or update the state machine ``name`` with ``definition`` and publish a version; returns
        (the state machine's ARN, what executions should start on: the ``live`` alias pointed at the new version on
        AWS, or the state machine's own ARN where the setting says aliases cannot start executions)."""
        ...

    def start(self, target: str, name: str, payload: dict[str, Any]) -> str | None:
        """Start execution ``name`` on ``target``; its ARN, or None when an execution of that name exists (a
        duplicate start). As Step Functions' start is idempotent, a running one of that name with the same
        ``payload`` gives its ARN again instead."""
        ...

    def stop(self, execution_arn: str, cause: str) -> None:
        """Stop a running execution (one that ended already is left alone)."""
        ...

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a parked task with ``output``; False when the token is unknown, timed out or already used."""
        ...

    def fail_task(self, token: str, error: str, cause: str) -> bool:
        """Fail a parked task with the error name ``error`` (the state's Catch routes it); False as for ``resume``."""
        ...

    def status(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
        ...

    def transitions(self, execution_arn: str) -> int:
        """State transitions the execution made so far (entered states, as Step Functions bills them)."""
        ...


class WorkflowStore(Protocol):
    """Workflow records by id with an optimistic revision, and the definition of every published revision."""

    def create_workflow(self, record: WorkflowRecord) -> None:
        """Store a new workflow; Conflict when its id exists."""
        ...

    def workflow(self, workflow_id: str) -> WorkflowRecord | None: ...

    def workflows(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first (``created_at``, then id)."""
        ...

    def replace_workflow(self, record: WorkflowRecord, expected_revision: int) -> None:
        """Store ``record`` only if the stored one is at ``expected_revision``; Conflict otherwise (writing nothing),
        NotFound when there is no such workflow."""
        ...

    def save_revision(self, workflow_id: str, revision: int, definition: dict[str, Any]) -> None:
        """Keep the definition a published revision runs (saving the same revision again changes nothing)."""
        ...

    def revision(self, workflow_id: str, revision: int) -> dict[str, Any] | None:
        """The definition saved for that revision (None: never published)."""
        ...


class JourneyStore(Protocol):
    """Journeys (one record per workflow and contact), parked waits, per-block counters, execution history and
    one-from-many variant statistics."""

    def begin(self, journey: Journey, *, skip_if_inside: bool, once: bool, not_since: str | None) -> bool:
        """Record ``journey`` as the contact's journey through its workflow, unless: ``skip_if_inside`` and the stored
        one is running; ``once`` and one is stored; ``not_since`` (ISO) and the stored one started after it; or the
        stored one has the same execution name (a duplicate trigger). True when recorded (``entries`` becomes the
        stored count plus one). Written conditionally on the record read: two concurrent begins for one contact never
        both win."""
        ...

    def journey(self, workflow_id: str, contact_key: str) -> Journey | None: ...

    def journeys_of(self, contact_key: str) -> list[Journey]:
        """The contact's journeys in every workflow (running or not)."""
        ...

    def end(self, workflow_id: str, contact_key: str, execution: str, status: JourneyStatus, at: str) -> bool:
        """Mark the journey ended with ``status`` if it is still the running ``execution``; True when it was."""
        ...

    def set_execution_arn(self, workflow_id: str, contact_key: str, execution: str, arn: str) -> None: ...

    def reach_goal(self, workflow_id: str, contact_key: str, execution: str, at: str) -> bool:
        """Note the journey's goal reached at ``at`` unless it was already; True the first time."""
        ...

    def executions(self, workflow_id: str, limit: int, cursor: str | None = None) -> tuple[list[Journey], str | None]:
        """The workflow's journeys, newest start first, a page at a time (InvalidInput for a foreign cursor)."""
        ...

    def claim_occasion(self, workflow_id: str, occasion: str) -> bool:
        """Claim the workflow's run for ``occasion`` (a schedule's ``schedule:<date>``); True for the one caller that
        claimed it, across processes."""
        ...

    def park(self, park: Park) -> None:
        """Keep ``park`` until it expires (parking the same token again changes nothing)."""
        ...

    def parked(self, contact_key: str, event: str) -> list[Park]:
        """The contact's unexpired parks waiting for ``event``."""
        ...

    def unpark(self, park: Park) -> bool:
        """Remove ``park``; True for the one caller that removed it (so one event resumes a wait once)."""
        ...

    def record_step(self, workflow_id: str, step: StepRecord, counts: dict[str, dict[str, int]]) -> bool:
        """Keep ``step`` in its execution's history and add ``counts`` (block -> counter -> n) to the workflow's
        block counters, together, unless this (execution, seq) was recorded (a retried task run); True when
        recorded."""
        ...

    def add_counts(self, workflow_id: str, counts: dict[str, dict[str, int]]) -> None:
        """Add to the block counters (for events outside a task run: a wait resumed, a goal reached)."""
        ...

    def counts(self, workflow_id: str) -> BlockCounts: ...

    def history(self, execution: str) -> list[StepRecord]:
        """The execution's recorded steps in ``seq`` order."""
        ...

    def variant_sent(self, workflow_id: str, block: str, template_id: str, contact_key: str, at: str) -> None:
        """Count a send of the variant and remember it as the contact's latest of this block."""
        ...

    def variant_clicked(self, workflow_id: str, block: str, template_id: str) -> None: ...

    def variants(self, workflow_id: str, block: str) -> dict[str, tuple[int, int]]:
        """Each variant's (sends, clicks) at the block."""
        ...

    def recent_variants(self, workflow_id: str, block: str, contact_key: str) -> dict[str, str]:
        """The variants this contact got at the block, each with when it was last sent."""
        ...
