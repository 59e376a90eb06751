"""What the workflow engine stores: workflow records with their revisions, one journey record per workflow and
contact, the waits parked on an event, per-block statistics, per-execution history and one-from-many variant
statistics. Plain data; the stores are ``chalicelib.ports`` ``WorkflowStore`` and ``JourneyStore``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

WorkflowStatus = Literal["draft", "published", "paused", "archived"]
JourneyStatus = Literal["running", "finished", "stopped", "failed"]
RUNNING: JourneyStatus = "running"

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class WorkflowRecord:
    """A workflow as stored. ``definition`` is the public JSON (``model.dump_workflow``); ``revision`` grows with
    every saved edit; ``published`` is the revision running journeys start on (None: never published)."""

    id: str
    name: str
    tags: tuple[str, ...]
    definition: dict[str, Any]
    status: WorkflowStatus
    revision: int
    created_at: str
    updated_at: str
    published: int | None = None
    state_machine: str | None = None  # the state machine's ARN once deployed
    target: str | None = None  # what executions start on: the alias ARN on AWS, the state machine's locally


@dataclass(frozen=True)
class Journey:
    """One contact's latest journey through one workflow (the record re-entry and "skip if inside" read)."""

    workflow_id: str
    contact_key: str
    execution: str  # the execution's name (deterministic: ``execution_name``)
    revision: int
    status: JourneyStatus
    started_at: str
    entries: int = 1  # journeys this contact started in this workflow, this one included
    ended_at: str | None = None
    execution_arn: str | None = None
    goal_at: str | None = None  # when the goal was reached (counted once)


@dataclass(frozen=True)
class Park:
    """A journey waiting for ``event`` from ``contact_key`` (with property ``match_property`` equal to
    ``match_value`` when set) at ``block``, resumable with ``token`` until ``expires_at``."""

    contact_key: str
    event: str
    token: str
    workflow_id: str
    execution: str
    block: str
    expires_at: str
    where: tuple[dict[str, Any], ...] = ()
    match_property: str | None = None
    match_value: str | None = None

    @property
    def park_id(self) -> str:
        return hashlib.sha256(self.token.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StepRecord:
    """What one task run did, for the execution's history: the blocks it ran with their branch and outcome."""

    execution: str
    seq: int
    at: str
    entries: tuple[dict[str, Any], ...]  # {"block", "branch", "detail"?, "failed"?}


@dataclass(frozen=True)
class BlockCounts:
    """Per-block counters of a workflow: ``entered``, ``failed``, and ``exit:<branch>`` per branch taken."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def execution_name(workflow_id: str, contact_key: str, occasion: str) -> str:
    """The execution name for ``contact_key`` starting ``workflow_id`` on ``occasion`` (the triggering event's id,
    an API request id, a schedule's date): the same inputs always give the same name, so a duplicate trigger
    starts nothing. At most 80 characters of ``[A-Za-z0-9_-]``, as Step Functions requires."""
    contact = hashlib.sha256(contact_key.encode()).hexdigest()[:20]
    reason = hashlib.sha256(f"{workflow_id}\n{occasion}".encode()).hexdigest()[:24]
    return _NAME_UNSAFE.sub("-", f"{workflow_id[:30]}-{contact}-{reason}")[:80]
