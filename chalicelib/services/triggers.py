"""Behaviour triggers as use cases: list the catalogue, enable a trigger (its segments, its default template when
the chosen one does not exist, and its workflow, published), and disable it (the workflow paused).

A trigger's workflow is found again by its tag ``trigger:<id>``: enabling twice gives the same workflow (resumed
if it was paused, published if an edit left it unpublished), never a second one. Once made it is an ordinary
workflow: edit, publish, pause it through the workflows API like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.messaging.templates import TemplateIn
from chalicelib.ports import Ports
from chalicelib.segments.bodies import SegmentIn
from chalicelib.services import templates
from chalicelib.services.segments import definitions as segments
from chalicelib.services.workflows import definitions as workflows
from chalicelib.triggers.catalogue import TRIGGERS, Recipe, Trigger
from chalicelib.triggers.contents import default_email
from chalicelib.triggers.params import tag
from chalicelib.workflows.journeys import WorkflowRecord


@dataclass(frozen=True)
class Enabled:
    """What enabling made or found: the workflow, the segments and the template it uses."""

    trigger_id: str
    workflow: WorkflowRecord
    segment_ids: list[str]
    template_id: str
    created: list[str]  # what this call created: "workflow", "segment:<id>", "template:<id>"


def catalogue() -> list[Trigger]:
    return list(TRIGGERS.values())


def trigger(trigger_id: str) -> Trigger:
    found = TRIGGERS.get(trigger_id)
    if found is None:
        raise NotFound(f"No trigger {trigger_id!r}; the triggers are {', '.join(TRIGGERS)}")
    return found


def workflow_of(ports: Ports, trigger_id: str) -> WorkflowRecord | None:
    """The workflow a trigger made (the oldest carrying its tag), or None when it was never enabled."""
    found = workflows.listing(ports, tag=tag(trigger_id))
    return found[0] if found else None


def enable(ports: Ports, trigger_id: str, params: Any) -> Enabled:
    """Make (or find) the trigger's segments, template and workflow, and make sure the workflow is live.
    InvalidInput names each bad parameter; nothing is made then."""
    chosen = trigger(trigger_id)
    parsed = chosen.parse(params)
    recipe = chosen.build(parsed)
    created: list[str] = []
    existing = workflow_of(ports, trigger_id)
    if existing is None:
        template = _template_to_make(ports, chosen, recipe, parsed.sender)
        if template is not None:
            _create_template(ports, template)
            created.append(f"template:{recipe.template_id}")
        for body in recipe.segments:
            if ports.segments.segment(body["id"]) is None:
                segments.create_segment(ports, SegmentIn.model_validate(body))
                created.append(f"segment:{body['id']}")
        record = workflows.create(ports, recipe.workflow)
        created.append("workflow")
    else:
        record = existing
    record = _live(ports, record)
    segment_ids = [s["id"] for s in recipe.segments] if existing is None else _segments_of(record)
    template_id = recipe.template_id if existing is None else _template_of(record, recipe.template_id)
    return Enabled(trigger_id, record, segment_ids, template_id, created)


def disable(ports: Ports, trigger_id: str) -> WorkflowRecord:
    """Pause the trigger's workflow (journeys already running finish); NotFound when it was never enabled."""
    trigger(trigger_id)
    record = workflow_of(ports, trigger_id)
    if record is None:
        raise NotFound(f"The {trigger_id} trigger was never enabled")
    if record.status == "published":
        return workflows.set_status(ports, record.id, "paused")
    return record


def _live(ports: Ports, record: WorkflowRecord) -> WorkflowRecord:
    if record.status == "paused" and record.published == record.revision:
        return workflows.set_status(ports, record.id, "published")
    if record.published != record.revision or record.status != "published":
        return workflows.publish(ports, record.id)
    return record


def _template_to_make(ports: Ports, chosen: Trigger, recipe: Recipe, sender: str | None) -> TemplateIn | None:
    """The default template to create (None: the chosen one exists); InvalidInput when it cannot be made or is of
    another channel."""
    stored = ports.templates.template(recipe.template_id)
    if stored is not None:
        if stored.channel != recipe.channel:
            raise InvalidInput(
                "The template is of another channel",
                [ErrorDetail("templateId", f"is a {stored.channel} template; the channel is {recipe.channel}")],
            )
        return None
    if recipe.channel != "email":
        raise InvalidInput(
            "No such template", [ErrorDetail("templateId", "is not a template (defaults exist for email only)")]
        )
    if not sender:
        raise InvalidInput(
            "The default email needs a sender",
            [ErrorDetail("sender", "is required to create the default template (or give an existing templateId)")],
        )
    return TemplateIn.model_validate(default_email(chosen.id, recipe.template_id, sender))


def _create_template(ports: Ports, body: TemplateIn) -> None:
    try:
        templates.create(ports, body)
    except InvalidInput as exc:
        bad = [d for d in exc.details if d.path.startswith("content.from")]
        if not bad:
            raise
        raise InvalidInput("The sender is invalid", [ErrorDetail("sender", bad[0].message)]) from exc


def _segments_of(record: WorkflowRecord) -> list[str]:
    segment = record.definition.get("trigger", {}).get("segment")
    return [segment] if isinstance(segment, str) else []


def _template_of(record: WorkflowRecord, fallback: str) -> str:
    for block in record.definition.get("blocks", {}).values():
        if isinstance(block, dict) and block.get("type") == "sendMessage":
            return str(block.get("template"))
    return fallback
