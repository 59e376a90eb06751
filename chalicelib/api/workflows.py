"""Workflows API: customer journeys written as JSON, checked, published to Step Functions, paused, resumed, started
by API, and watched through per-block statistics, executions with their history, a Mermaid diagram and a message
report (docs/workflows.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.http import Call, api_route
from chalicelib.api.workflow_shapes import (
    JOURNEY,
    TAG,
    BlockStatsOut,
    DiagramOut,
    ExecutionDetailOut,
    ExecutionsOut,
    ReportOut,
    SendReportOut,
    StartOut,
    StatsOut,
    StepOut,
    WorkflowIn,
    WorkflowOut,
    WorkflowsOut,
    execution_out,
    shown,
)
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.services.workflows import definitions
from chalicelib.services.workflows.definitions import StartIn
from chalicelib.validation import parse
from chalicelib.workflows.blocks import exits
from chalicelib.workflows.diagram import mermaid
from chalicelib.workflows.model import parse_workflow

bp = Blueprint(__name__)


@api_route(
    bp,
    "/v1/workflows",
    "POST",
    auth="secret",
    tag=TAG,
    body=WorkflowIn,
    response=WorkflowOut,
    status=201,
    summary="Save a workflow as a draft; `problems` lists what keeps it from being published",
)
def create_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.create(ports(), call.body))


@api_route(
    bp,
    "/v1/workflows",
    "GET",
    auth="secret",
    tag=TAG,
    response=WorkflowsOut,
    query={"tag": "Only workflows carrying this tag", "status": "Only `draft`, `published` or `paused` ones"},
    summary="Workflows, oldest first (archived ones left out)",
)
def list_workflows(call: Call) -> WorkflowsOut:
    status = call.query("status")
    if status is not None and status not in ("draft", "published", "paused"):
        raise InvalidInput("status is invalid", [ErrorDetail("status", "must be draft, published or paused")])
    return WorkflowsOut(items=[shown(w) for w in definitions.listing(ports(), call.query("tag"), status)])


@api_route(bp, "/v1/workflows/{id}", "GET", auth="secret", tag=TAG, response=WorkflowOut, summary="One workflow")
def get_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.get(ports(), call.params["id"]))


@api_route(
    bp,
    "/v1/workflows/{id}",
    "PUT",
    auth="secret",
    tag=TAG,
    body=WorkflowIn,
    response=WorkflowOut,
    summary=(
        "Replace the definition (a new draft revision; journeys keep starting on the published one until the next"
        " publish); `If-Match: <revision>` refuses a change made on a stale copy with 409"
    ),
    errors={409: "`If-Match` names another revision, or the workflow changed meanwhile (`conflict`); reload it"},
)
def replace_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.update(ports(), call.params["id"], call.body, call.expected_revision()))


@api_route(
    bp,
    "/v1/workflows/{id}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=WorkflowOut,
    summary="Archive a workflow: no new journeys, gone from listings; running journeys go on",
    errors={409: "The workflow changed meanwhile (`conflict`); retry"},
)
def archive_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.set_status(ports(), call.params["id"], "archived"))


@api_route(
    bp,
    "/v1/workflows/{id}/publish",
    "POST",
    auth="secret",
    tag=TAG,
    response=WorkflowOut,
    summary=(
        "Compile the current revision and deploy it as a new state machine version; new journeys start on it,"
        " journeys in flight keep theirs. A 400 names each block that keeps it from being published"
    ),
    errors={409: "The workflow changed meanwhile (`conflict`); retry"},
)
def publish_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.publish(ports(), call.params["id"]))


@api_route(
    bp,
    "/v1/workflows/{id}/pause",
    "POST",
    auth="secret",
    tag=TAG,
    response=WorkflowOut,
    summary="Start no new journeys (running ones go on)",
    errors={409: "Never published (`conflict`), or changed meanwhile"},
)
def pause_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.set_status(ports(), call.params["id"], "paused"))


@api_route(
    bp,
    "/v1/workflows/{id}/resume",
    "POST",
    auth="secret",
    tag=TAG,
    response=WorkflowOut,
    summary="Start journeys again, on the published revision",
    errors={409: "Never published (`conflict`), or changed meanwhile"},
)
def resume_workflow(call: Call) -> WorkflowOut:
    return shown(definitions.set_status(ports(), call.params["id"], "published"))


@api_route(
    bp,
    "/v1/workflows/{id}/start",
    "POST",
    auth="secret",
    tag=TAG,
    body=StartIn,
    response=StartOut,
    status=202,
    also=(200,),
    summary=(
        "Start a stored contact's journey with `variables`: 202 with the execution's name, or 200 with"
        " `started: false` and why (the same `requestId` again, the contact inside already, re-entry)"
    ),
    errors={409: "The workflow is not published, or paused (`conflict`)"},
)
def start_workflow(call: Call) -> Response:
    found = definitions.start(ports(), call.params["id"], parse(StartIn, call.body))
    out = StartOut(started=found.started, execution=found.execution, reason=found.reason, message=found.message)
    return Response(body=out.model_dump(mode="json"), status_code=202 if found.started else 200)


def block_stats(counters: dict[str, int], branches: list[str]) -> BlockStatsOut:
    exits_taken = dict.fromkeys(branches, 0) | {
        k.removeprefix("exit:"): n for k, n in sorted(counters.items()) if k.startswith("exit:")
    }
    return BlockStatsOut(entered=counters.get("entered", 0), exits=exits_taken, failed=counters.get("failed", 0))


@api_route(
    bp,
    "/v1/workflows/{id}/stats",
    "GET",
    auth="secret",
    tag=TAG,
    response=StatsOut,
    summary="Per block: journeys that entered it, left by each branch, failed there; goals reached, journeys stopped",
)
def workflow_stats(call: Call) -> StatsOut:
    record, counts = definitions.stats(ports(), call.params["id"])
    workflow = parse_workflow(record.definition)
    blocks = {
        block_id: block_stats(counts.get(block_id, {}), [b for b, _ in exits(block)])
        for block_id, block in workflow.blocks.items()
    }
    for block_id, counters in sorted(counts.items()):  # blocks an earlier revision had
        if block_id != JOURNEY and block_id not in blocks:
            blocks[block_id] = block_stats(counters, [])
    journeys = {"goal": 0, "stopped": 0} | dict(counts.get(JOURNEY, {}))
    return StatsOut(blocks=blocks, journeys=journeys)


@api_route(
    bp,
    "/v1/workflows/{id}/executions",
    "GET",
    auth="secret",
    tag=TAG,
    response=ExecutionsOut,
    query={"limit": "1-100 (default 50)", "cursor": "`nextCursor` of the previous page"},
    summary="The workflow's journeys, newest first, page by page",
)
def list_executions(call: Call) -> ExecutionsOut:
    page, cursor = definitions.executions(
        ports(), call.params["id"], call.int_query("limit", 50, 1, 100), call.query("cursor")
    )
    return ExecutionsOut(items=[execution_out(j) for j in page], nextCursor=cursor)


@api_route(
    bp,
    "/v1/workflows/{id}/executions/{name}",
    "GET",
    auth="secret",
    tag=TAG,
    response=ExecutionDetailOut,
    summary="One execution: its journey and what each task run did (blocks, branches, messages, failures)",
)
def get_execution(call: Call) -> ExecutionDetailOut:
    name = call.params["name"]
    journey, steps = definitions.execution(ports(), call.params["id"], name)
    return ExecutionDetailOut(
        execution=name,
        journey=execution_out(journey) if journey is not None else None,
        steps=[StepOut(seq=s.seq, at=s.at, entries=list(s.entries)) for s in steps],
    )


@api_route(
    bp,
    "/v1/workflows/{id}/diagram",
    "GET",
    auth="secret",
    tag=TAG,
    raw_response="text/plain",
    query={
        "counts": "`true`: each block with the journeys that entered it, each branch with those that took it",
        "format": '`json`: `{"mermaid": ...}` instead of text',
    },
    summary="The current revision as a Mermaid flowchart (text/plain), with per-block counts when asked",
)
def workflow_diagram(call: Call) -> Any:
    with_counts = call.query("counts", "false")
    fmt = call.query("format", "text")
    problems = []
    if with_counts not in ("true", "false"):
        problems.append(ErrorDetail("counts", "must be true or false"))
    if fmt not in ("text", "json"):
        problems.append(ErrorDetail("format", "must be text or json"))
    if problems:
        raise InvalidInput("The query is invalid", problems)
    if with_counts == "true":
        record, counts = definitions.stats(ports(), call.params["id"])
        text = mermaid(parse_workflow(record.definition), counts)
    else:
        text = mermaid(parse_workflow(definitions.get(ports(), call.params["id"]).definition))
    if fmt == "json":
        return DiagramOut(mermaid=text)
    return Response(body=text, status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})


@api_route(
    bp,
    "/v1/workflows/{id}/report",
    "GET",
    auth="secret",
    tag=TAG,
    response=ReportOut,
    summary=(
        "What the workflow's messages did, per send block: sent, failed, pending, delivered, opened, clicked,"
        " unsubscribed (and per one-from-many variant), with the goal's conversions"
    ),
)
def workflow_report(call: Call) -> ReportOut:
    found = definitions.report(ports(), call.params["id"])
    blocks = {
        block_id: SendReportOut(type=b.type, entered=b.entered, variants=b.variants, **b.counts)
        for block_id, b in found.blocks.items()
    }
    return ReportOut(
        blocks=blocks,
        journeys=found.journeys,
        complete=found.complete,
        goals=found.goals,
        conversionRate=round(found.goals / found.journeys, 4) if found.journeys else None,
    )
