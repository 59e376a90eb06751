"""Workflow definitions: create, read, list, edit, publish, pause and resume them, start a journey by API, and read
what journeys did (per-block statistics, executions with their history, the message report).

Saving checks the model (every bad part named by its path) and answers the graph's problems as ``problems``
without refusing a draft; publishing refuses a workflow with any. Publishing compiles the revision to States
Language, deploys it (a new state machine version; journeys in flight keep the version they started on) and keeps
the revision's definition for the task function. An edit after publishing is a new draft revision: journeys start
on the published one until the next publish.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.ports import Ports
from chalicelib.services.workflows import journeys
from chalicelib.services.workflows.published import PUBLISHED, Live
from chalicelib.workflows import graph
from chalicelib.workflows.asl import compile_workflow, definition_json
from chalicelib.workflows.blocks import OneFromMany, SendMessage
from chalicelib.workflows.journeys import Journey, StepRecord, WorkflowRecord, execution_name
from chalicelib.workflows.model import Workflow, dump_workflow, parse_workflow


def new_workflow_id() -> str:
    return "wf_" + secrets.token_hex(8)


def problems(workflow: Workflow) -> list[dict[str, str]]:
    """The graph's problems (empty: publishable)."""
    try:
        graph.check(workflow)
    except InvalidInput as exc:
        return [d.as_dict() for d in exc.details]
    return []


def create(ports: Ports, body: Any) -> WorkflowRecord:
    workflow = parse_workflow(body)
    now = iso(ports.clock.now())
    record = WorkflowRecord(
        id=new_workflow_id(),
        name=workflow.name,
        tags=tuple(workflow.tags),
        definition=dump_workflow(workflow),
        status="draft",
        revision=1,
        created_at=now,
        updated_at=now,
    )
    ports.workflows.create_workflow(record)
    return record


def get(ports: Ports, workflow_id: str) -> WorkflowRecord:
    found = ports.workflows.workflow(workflow_id)
    if found is None or found.status == "archived":
        raise NotFound(f"No workflow {workflow_id!r}")
    return found


def listing(ports: Ports, tag: str | None = None, status: str | None = None) -> list[WorkflowRecord]:
    return [
        w
        for w in ports.workflows.workflows()
        if w.status != "archived" and (tag is None or tag in w.tags) and (status is None or w.status == status)
    ]


def update(ports: Ports, workflow_id: str, body: Any, expected_revision: int | None) -> WorkflowRecord:
    """Replace the definition (a new revision); Conflict when ``expected_revision`` is not the stored one."""
    stored = get(ports, workflow_id)
    if expected_revision is not None and expected_revision != stored.revision:
        raise Conflict(f"The workflow is at revision {stored.revision}, not {expected_revision}; reload it")
    workflow = parse_workflow(body)
    changed = WorkflowRecord(
        **{
            **stored.__dict__,
            "name": workflow.name,
            "tags": tuple(workflow.tags),
            "definition": dump_workflow(workflow),
            "revision": stored.revision + 1,
            "updated_at": iso(ports.clock.now()),
        }
    )
    ports.workflows.replace_workflow(changed, stored.revision)
    return changed


def publish(ports: Ports, workflow_id: str) -> WorkflowRecord:
    """Compile and deploy the current revision; journeys start on it from now on."""
    stored = get(ports, workflow_id)
    workflow = parse_workflow(stored.definition)
    graph.check(workflow)
    task_arn = ports.settings.workflow_task_arn
    if not task_arn:
        raise InvalidInput(
            "This stage has no workflow task function configured (ORBIT_WORKFLOW_TASK_ARN)",
            [ErrorDetail("workflow", "cannot be published on this stage")],
        )
    definition = compile_workflow(stored.id, stored.revision, workflow, task_arn)
    machine, target = ports.machines.deploy(f"orbit-{ports.settings.stage}-wf-{stored.id}", definition_json(definition))
    ports.workflows.save_revision(stored.id, stored.revision, stored.definition)
    published = WorkflowRecord(
        **{
            **stored.__dict__,
            "status": "published",
            "published": stored.revision,
            "state_machine": machine,
            "target": target,
            "updated_at": iso(ports.clock.now()),
        }
    )
    ports.workflows.replace_workflow(published, stored.revision)
    PUBLISHED.invalidate()
    return published


def set_status(ports: Ports, workflow_id: str, status: str) -> WorkflowRecord:
    """Pause (no new journeys; running ones go on), resume, or archive a workflow."""
    stored = get(ports, workflow_id)
    if status in ("published", "paused") and stored.published is None:
        raise Conflict("Publish the workflow first")
    changed = WorkflowRecord(**{**stored.__dict__, "status": status, "updated_at": iso(ports.clock.now())})
    ports.workflows.replace_workflow(changed, stored.revision)
    PUBLISHED.invalidate()
    return changed


def start_by_api(
    ports: Ports, workflow_id: str, external_id: str, variables: dict[str, Any], request_id: str | None
) -> str | None:
    """Start a journey for a stored contact with ``variables``; the same ``request_id`` again starts nothing."""
    stored = get(ports, workflow_id)
    if stored.status != "published" or stored.published is None:
        raise Conflict(f"The workflow is {stored.status}; publish or resume it to start journeys")
    definition = ports.workflows.revision(stored.id, stored.published) or stored.definition
    live = Live(stored, parse_workflow(definition))
    record = ports.contacts.load(keys.known(external_id))
    if record is None or record.kind != "contact":
        raise NotFound(f"No contact {external_id!r}", [ErrorDetail("externalId", "is not a stored contact")])
    occasion = f"api:{request_id}" if request_id else f"api:{secrets.token_hex(8)}"
    trigger = {"type": "api", "eventId": occasion, "properties": dict(variables)}
    return journeys.start(ports, live, record.key, occasion, trigger, dict(variables))


class StartIn(BaseModel):
    """Start one stored contact's journey through an API-triggered (or any published) workflow."""

    externalId: str = Field(min_length=1, max_length=256)
    variables: dict[str, Any] = Field(default_factory=dict, description="The journey's `vars`")
    requestId: str | None = Field(
        default=None, min_length=1, max_length=128, description="The same id again starts nothing (a retried call)"
    )


DUPLICATE = "This requestId started this execution already"


@dataclass(frozen=True)
class Started:
    """What a start by API did: ``started`` with the execution's name, or not, with why (``reason``: ``duplicate``,
    ``inside``, ``reentry``)."""

    started: bool
    execution: str | None
    reason: str | None = None
    message: str | None = None


def start(ports: Ports, workflow_id: str, body: StartIn) -> Started:
    """Start a journey by API, saying why when nothing started: the same ``requestId`` again (a duplicate), the
    contact inside the journey already ("skip if inside"), or the re-entry setting."""
    record = get(ports, workflow_id)
    contact_key = keys.known(body.externalId)
    name = execution_name(workflow_id, contact_key, f"api:{body.requestId}") if body.requestId else None
    before = ports.journeys.journey(workflow_id, contact_key)
    live = record.status == "published"
    if live and name is not None and before is not None and before.execution == name and before.execution_arn:
        return Started(False, name, "duplicate", DUPLICATE)
    started = start_by_api(ports, workflow_id, body.externalId, body.variables, body.requestId)
    if started is not None:
        return Started(True, started)
    stored = ports.journeys.journey(workflow_id, contact_key)
    if stored is not None and stored.execution == name:
        return Started(False, name, "duplicate", DUPLICATE)
    running = ports.workflows.revision(workflow_id, record.published) if record.published is not None else None
    settings = parse_workflow(running or record.definition).settings
    if stored is not None and stored.status == "running" and settings.skipIfInside:
        return Started(False, None, "inside", "The contact is inside this workflow already (skipIfInside)")
    if settings.reentry.mode == "once":
        return Started(False, None, "reentry", "The contact went through this workflow already (reentry: once)")
    days = settings.reentry.days
    return Started(False, None, "reentry", f"The contact started this workflow within {days} days (oncePer)")


def stats(ports: Ports, workflow_id: str) -> tuple[WorkflowRecord, dict[str, dict[str, int]]]:
    """The workflow and its counters: block -> ``entered``, ``failed``, ``exit:<branch>``; ``journey`` -> ``goal``,
    ``stopped``."""
    record = get(ports, workflow_id)
    return record, ports.journeys.counts(workflow_id).counts


def executions(ports: Ports, workflow_id: str, limit: int, cursor: str | None) -> tuple[list[Journey], str | None]:
    """The workflow's journeys, newest first, a page at a time."""
    get(ports, workflow_id)
    return ports.journeys.executions(workflow_id, limit, cursor)


EXECUTION_PAGES = 20  # pages of 100 searched for one execution's journey record (newest first)


def execution(ports: Ports, workflow_id: str, name: str) -> tuple[Journey | None, list[StepRecord]]:
    """One execution: its journey record (looked up among the newest ``EXECUTION_PAGES`` pages of journeys; None
    past them) and its history. NotFound when neither is known."""
    get(ports, workflow_id)
    steps = ports.journeys.history(name)
    found: Journey | None = None
    cursor: str | None = None
    for _ in range(EXECUTION_PAGES):
        page, cursor = ports.journeys.executions(workflow_id, 100, cursor)
        found = next((j for j in page if j.execution == name), None)
        if found is not None or cursor is None:
            break
    if found is None and not steps:
        raise NotFound(f"No execution {name!r} of workflow {workflow_id!r}")
    return found, steps


REPORT_JOURNEYS = 10_000  # journeys a report reads (newest first); past them it says it is incomplete
MESSAGE_OUTCOMES = ("sent", "failed", "pending")
MESSAGE_COUNTERS = ("delivered", "opened", "clicked", "unsubscribed")


@dataclass
class BlockReport:
    """What one send block's messages did."""

    type: str
    entered: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MESSAGE_OUTCOMES + MESSAGE_COUNTERS, 0))
    variants: dict[str, dict[str, int]] = field(default_factory=dict)  # oneFromMany: template -> sent, clicked


@dataclass(frozen=True)
class Report:
    blocks: dict[str, BlockReport]
    journeys: int  # journeys read
    complete: bool  # False: more than REPORT_JOURNEYS journeys, the oldest not read
    goals: int  # journeys that reached the goal (the counter)


def report(ports: Ports, workflow_id: str) -> Report:
    """The workflow's message report: per send block, its messages sent, failed, still pending, and delivered,
    opened, clicked, unsubscribed (each message counted once per act), read from each journey's history and the
    messages it names; per one-from-many variant, its sends and clicks; and the goal's conversions."""
    record = get(ports, workflow_id)
    counts = ports.journeys.counts(workflow_id).counts
    blocks: dict[str, BlockReport] = {}
    for block_id, block in parse_workflow(record.definition).blocks.items():
        if isinstance(block, SendMessage | OneFromMany):
            blocks[block_id] = BlockReport(block.type, counts.get(block_id, {}).get("entered", 0))
            if isinstance(block, OneFromMany):
                found = ports.journeys.variants(workflow_id, block_id)
                blocks[block_id].variants = {t: {"sent": s, "clicked": c} for t, (s, c) in sorted(found.items())}
    read = 0
    cursor: str | None = None
    while read < REPORT_JOURNEYS:
        page, cursor = ports.journeys.executions(workflow_id, min(100, REPORT_JOURNEYS - read), cursor)
        read += len(page)
        for journey in page:
            _count_messages(ports, journey.execution, blocks, counts)
        if cursor is None:
            break
    goals = counts.get("journey", {}).get("goal", 0)
    return Report(blocks, read, cursor is None, goals)


def _count_messages(
    ports: Ports, execution: str, blocks: dict[str, BlockReport], counts: dict[str, dict[str, int]]
) -> None:
    for step in ports.journeys.history(execution):
        for entry in step.entries:
            message_id = entry.get("messageId")
            if not isinstance(message_id, str):
                continue
            block_id = str(entry.get("block"))
            if block_id not in blocks:  # a send block an earlier revision had
                blocks[block_id] = BlockReport("removed", counts.get(block_id, {}).get("entered", 0))
            message = ports.messages.message(message_id)
            tally = blocks[block_id].counts
            status = message.status if message is not None else "pending"
            tally[status if status in MESSAGE_OUTCOMES else "pending"] += 1
            for counter in MESSAGE_COUNTERS:
                tally[counter] += int(bool(message is not None and message.counters.get(counter)))
