"""The shapes the workflows API answers with (``api/workflows.py``): records, statistics, executions, diagrams and
reports, and how a stored record or journey is shown."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.contacts import keys
from chalicelib.services.workflows import definitions
from chalicelib.workflows.journeys import Journey, WorkflowRecord
from chalicelib.workflows.model import Workflow, parse_workflow

TAG = "Workflows"
JOURNEY = "journey"  # the counters' key for journey-level counts (goal, stopped)


def _without_rules(schema: dict[str, Any]) -> None:
    schema.get("properties", {}).pop("rules", None)


class WorkflowIn(Workflow):
    """The public workflow JSON (docs/workflows.md); read by ``parse_workflow``, so a 400 names every bad path."""

    model_config = ConfigDict(json_schema_extra=_without_rules)


class Problem(BaseModel):
    path: str = Field(description="The part at fault: `blocks.<id>`, `blocks.<id>.next.<branch>`, `start`")
    message: str


class WorkflowOut(BaseModel):
    id: str
    name: str
    tags: list[str]
    status: str = Field(description="`draft`, `published`, `paused` (no new journeys; running ones go on)")
    revision: int = Field(description="Grows with every edit; send it back as `If-Match` on PUT")
    published: int | None = Field(description="The revision new journeys start on (null: never published)")
    definition: dict[str, Any] = Field(description="The workflow JSON as stored (defaults left out)")
    problems: list[Problem] = Field(description="What keeps this revision from being published (empty: publishable)")
    createdAt: str
    updatedAt: str


class WorkflowsOut(BaseModel):
    items: list[WorkflowOut] = Field(description="Oldest first")


class StartOut(BaseModel):
    started: bool
    execution: str | None = Field(description="The execution's name (also given for a duplicate)")
    reason: str | None = Field(default=None, description="Why nothing started: `duplicate`, `inside` or `reentry`")
    message: str | None = None


class BlockStatsOut(BaseModel):
    entered: int
    exits: dict[str, int] = Field(description="Journeys that left by each branch (`next` for a single way out)")
    failed: int


class StatsOut(BaseModel):
    blocks: dict[str, BlockStatsOut] = Field(description="Every block of the current revision (and any counted before)")
    journeys: dict[str, int] = Field(description="`goal`: goals reached; `stopped`: journeys a stop rule ended")


class ExecutionOut(BaseModel):
    execution: str = Field(description="The execution's name")
    externalId: str | None
    revision: int = Field(description="The published revision the journey runs")
    status: str = Field(description="`running`, `finished`, `stopped` or `failed`")
    startedAt: str
    endedAt: str | None = None
    goalAt: str | None = None
    entries: int = Field(description="Journeys this contact started in this workflow, this one included")


class ExecutionsOut(BaseModel):
    items: list[ExecutionOut] = Field(description="Newest first")
    nextCursor: str | None


class StepOut(BaseModel):
    seq: int
    at: str
    entries: list[dict[str, Any]] = Field(description="The blocks the task run went through: branch, message, failure")


class ExecutionDetailOut(BaseModel):
    execution: str
    journey: ExecutionOut | None = Field(description="Null when the journey is older than the newest 2,000")
    steps: list[StepOut]


class DiagramOut(BaseModel):
    mermaid: str


class SendReportOut(BaseModel):
    type: str = Field(description="`sendMessage`, `oneFromMany`, or `removed` (a block of an earlier revision)")
    entered: int
    sent: int
    failed: int = Field(description="Not sent: no consent, no address, a template that failed, a provider refusal")
    pending: int = Field(description="Deferred to the send hours or still with the provider")
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    variants: dict[str, dict[str, int]] = Field(description="oneFromMany: per template, `sent` and `clicked`")


class ReportOut(BaseModel):
    blocks: dict[str, SendReportOut]
    journeys: int = Field(description="Journeys read")
    complete: bool = Field(description="False: more than 10,000 journeys; the oldest were not read")
    goals: int = Field(description="Journeys that reached the goal")
    conversionRate: float | None = Field(description="`goals` / `journeys` (null without journeys)")


def shown(record: WorkflowRecord) -> WorkflowOut:
    problems = definitions.problems(parse_workflow(record.definition))
    return WorkflowOut(
        id=record.id,
        name=record.name,
        tags=list(record.tags),
        status=record.status,
        revision=record.revision,
        published=record.published,
        definition=record.definition,
        problems=[Problem(path=p["path"], message=p["message"]) for p in problems],
        createdAt=record.created_at,
        updatedAt=record.updated_at,
    )


def execution_out(journey: Journey) -> ExecutionOut:
    return ExecutionOut(
        execution=journey.execution,
        externalId=keys.external_id(journey.contact_key),
        revision=journey.revision,
        status=journey.status,
        startedAt=journey.started_at,
        endedAt=journey.ended_at,
        goalAt=journey.goal_at,
        entries=journey.entries,
    )
