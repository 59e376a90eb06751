"""Behaviour triggers API: the catalogue of ready-made triggers with their parameters, and enabling or disabling
one (docs/triggers.md). An enabled trigger is an ordinary workflow, edited through the workflows API."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.services import triggers
from chalicelib.triggers.catalogue import Trigger

bp = Blueprint(__name__)
TAG = "Triggers"


class ParameterOut(BaseModel):
    name: str
    default: Any = Field(description="Used when the parameter is not given")
    description: str


class TriggerOut(BaseModel):
    id: str
    name: str
    description: str
    parameters: list[ParameterOut]
    workflowId: str | None = Field(description="The workflow enabling made (null: never enabled)")
    status: str | None = Field(description="Its status: `draft`, `published` (on) or `paused` (off)")


class TriggersOut(BaseModel):
    items: list[TriggerOut]


class EnabledOut(BaseModel):
    trigger: str
    workflowId: str
    status: str
    segmentIds: list[str] = Field(description="The segments the workflow starts from")
    templateId: str
    created: list[str] = Field(description='What this call made: "workflow", "segment:<id>", "template:<id>"')


def shown(trigger: Trigger) -> TriggerOut:
    record = triggers.workflow_of(ports(), trigger.id)
    return TriggerOut(
        id=trigger.id,
        name=trigger.name,
        description=trigger.description,
        parameters=[ParameterOut.model_validate(p) for p in trigger.parameters()],
        workflowId=record.id if record else None,
        status=record.status if record else None,
    )


@api_route(bp, "/v1/triggers", "GET", auth="secret", tag=TAG, response=TriggersOut, summary="The ready-made triggers")
def list_triggers(call: Call) -> TriggersOut:
    return TriggersOut(items=[shown(t) for t in triggers.catalogue()])


@api_route(bp, "/v1/triggers/{id}", "GET", auth="secret", tag=TAG, response=TriggerOut, summary="One trigger")
def get_trigger(call: Call) -> TriggerOut:
    return shown(triggers.trigger(call.params["id"]))


@api_route(
    bp,
    "/v1/triggers/{id}/enable",
    "POST",
    auth="secret",
    tag=TAG,
    response=EnabledOut,
    summary="Turn a trigger on with these parameters (the body; absent: the defaults): its segments, default "
    "template and workflow, published; the same workflow again on a second call",
)
def enable_trigger(call: Call) -> EnabledOut:
    done = triggers.enable(ports(), call.params["id"], call.body)
    return EnabledOut(
        trigger=done.trigger_id,
        workflowId=done.workflow.id,
        status=done.workflow.status,
        segmentIds=done.segment_ids,
        templateId=done.template_id,
        created=done.created,
    )


@api_route(
    bp,
    "/v1/triggers/{id}/disable",
    "POST",
    auth="secret",
    tag=TAG,
    response=TriggerOut,
    summary="Turn a trigger off: its workflow is paused (running journeys finish)",
)
def disable_trigger(call: Call) -> TriggerOut:
    chosen = triggers.trigger(call.params["id"])
    triggers.disable(ports(), chosen.id)
    return shown(chosen)
