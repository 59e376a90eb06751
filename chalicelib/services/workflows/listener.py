"""What every contact change does to journeys (a critical contact-change listener): events start journeys
(event and segment-entry triggers), a field change starts field-change triggers, stop rules end running journeys,
an awaited event resumes the journey parked on it, and a goal event counts a conversion once per journey.

The listener is critical: when it fails, the change's records are redelivered and the change replayed. Replays are
safe: starts are named by their occasion (a duplicate starts nothing), a park is removed by the one resume that
wins, stops and goals are conditional writes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from chalicelib.contacts.changes import ContactChanged, Listener
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event
from chalicelib.ports import Ports
from chalicelib.segments.conditions import PropertyFilter
from chalicelib.services.workflows import journeys
from chalicelib.services.workflows.published import PUBLISHED, SEGMENT_ENTERED, Live, Published
from chalicelib.workflows.blocks import OneFromMany, WaitForEvent
from chalicelib.workflows.journeys import RUNNING, Journey, Park
from chalicelib.workflows.matching import passes
from chalicelib.workflows.waits import timing_value

log = logging.getLogger("orbit.workflows")


def listener(ports: Ports) -> Listener:
    def on_change(change: ContactChanged) -> None:
        react(ports, change)

    return on_change


def trigger_of(event: Event) -> dict[str, Any]:
    """The ``trigger`` a journey reads (``trigger.properties.cart_id``)."""
    return {
        "type": event.type,
        "eventId": event.eventId,
        "timestamp": event.timestamp.isoformat(),
        "properties": event.properties,
    }


def react(ports: Ports, change: ContactChanged) -> None:
    after = change.after
    if after is None or after.kind != "contact":
        return
    published = PUBLISHED.get(ports)
    if not published.live:
        return
    events = sorted(change.events, key=lambda e: (e.timestamp, e.eventId))
    running: list[Journey] | None = None
    for event in events:
        if event.type in MESSAGE_COUNTERS and "workflowId" in event.properties:
            _count_message(ports, published, event)
        if event.type in published.by_stop_event or event.type in published.goal_events:
            running = running if running is not None else ports.journeys.journeys_of(after.key)
            _stop_on(ports, published, running, event)
            _goal(ports, published, running, event)
        if event.type in published.waited_events:  # after the stops: a stopped journey is not resumed
            _resume(ports, after.key, event)
        for live in published.by_trigger_event.get(event.type, []):
            if _starts(live, event):
                journeys.start(ports, live, after.key, event.eventId, trigger_of(event), {})
    if published.stops_on_orders and change.before is not None and _ordered(change):
        running = running if running is not None else ports.journeys.journeys_of(after.key)
        for journey in running:
            stopping = published.by_id(journey.workflow_id)
            if journey.status == RUNNING and stopping and any(r.order for r in stopping.workflow.settings.stopWhen):
                journeys.stop(ports, journey, "the contact placed an order", waited(stopping))
    if change.before is not None and not change.replayed:
        _field_changes(ports, published, change)


MESSAGE_COUNTERS = {
    "Message Sent": "sent",
    "Message Delivered": "delivered",
    "Message Opened": "opened",
    "Message Clicked": "clicked",
    "Message Failed": "undelivered",
    "Message Unsubscribed": "unsubscribed",
}


def _count_message(ports: Ports, published: Published, event: Event) -> None:
    """A journey's message event counted on its block (the report), and a click on its one-from-many variant."""
    workflow_id, block = str(event.properties["workflowId"]), str(event.properties.get("workflowBlock") or "")
    if not block:
        return
    ports.journeys.add_counts(workflow_id, {block: {MESSAGE_COUNTERS[event.type]: 1}})
    template_id = event.properties.get("templateId")
    live = published.by_id(workflow_id)
    clicked = event.type == "Message Clicked" and isinstance(template_id, str)
    if clicked and live is not None and isinstance(live.workflow.blocks.get(block), OneFromMany):
        ports.journeys.variant_clicked(workflow_id, block, str(template_id))


def waited(live: Live) -> list[str]:
    """The events the workflow's journeys may be parked on."""
    return [b.event for b in live.workflow.blocks.values() if isinstance(b, WaitForEvent)]


def _starts(live: Live, event: Event) -> bool:
    trigger = live.workflow.trigger
    if trigger.segment:
        return event.type == SEGMENT_ENTERED and event.properties.get("segmentId") == trigger.segment
    return passes(trigger.where, event.properties)


def _resume(ports: Ports, contact_key: str, event: Event) -> None:
    for park in ports.journeys.parked(contact_key, event.type):
        if not _awaited(park, event):
            continue
        journey = ports.journeys.journey(park.workflow_id, contact_key)
        if journey is None or journey.execution != park.execution or journey.status != RUNNING:
            ports.journeys.unpark(park)  # its journey ended (stopped): nothing to resume
            continue
        if ports.journeys.unpark(park):
            resumed = ports.machines.resume(park.token, trigger_of(event))
            log.info("journey resumed", extra={"execution": park.execution, "block": park.block, "ok": resumed})


def _awaited(park: Park, event: Event) -> bool:
    where = [PropertyFilter.model_validate(f) for f in park.where]
    if not passes(where, event.properties):
        return False
    if park.match_property is None:
        return True
    value = timing_value(event.properties, park.match_property)
    return value is not None and str(value) == park.match_value


def _stop_on(ports: Ports, published: Published, running: list[Journey], event: Event) -> None:
    for journey in running:
        if journey.status != RUNNING or event.timestamp < datetime.fromisoformat(journey.started_at):
            continue
        live = published.by_id(journey.workflow_id)
        if live is None:
            continue
        for rule in live.workflow.settings.stopWhen:
            hit = (rule.event == event.type and passes(rule.where, event.properties)) or (
                rule.segment is not None
                and event.type == SEGMENT_ENTERED
                and event.properties.get("segmentId") == rule.segment
            )
            if hit:
                journeys.stop(ports, journey, f"stop rule: {event.type}", waited(live))
                break


def _goal(ports: Ports, published: Published, running: list[Journey], event: Event) -> None:
    for journey in running:
        live = published.by_id(journey.workflow_id)
        goal = live.workflow.settings.goal if live else None
        if goal is None or goal.event != event.type or journey.goal_at is not None:
            continue
        started = datetime.fromisoformat(journey.started_at)
        if not started <= event.timestamp <= started + timedelta(seconds=goal.within.seconds):
            continue
        if passes(goal.where, event.properties) and ports.journeys.reach_goal(
            journey.workflow_id, journey.contact_key, journey.execution, event.timestamp.isoformat()
        ):
            ports.journeys.add_counts(journey.workflow_id, {"journey": {"goal": 1}})


def _ordered(change: ContactChanged) -> bool:
    """Whether the change counted a new order (the contact's order count grew)."""
    assert change.after is not None and change.before is not None
    return bool(_order_count(change.after.aggs) > _order_count(change.before.aggs))


def _order_count(aggs: dict[str, Any] | None) -> int:
    count = ((aggs or {}).get("orders") or {}).get("count", 0)
    return count if isinstance(count, int) else 0


def _field_changes(ports: Ports, published: Published, change: ContactChanged) -> None:
    assert change.after is not None and change.before is not None
    for live in published.live:
        spec = live.workflow.trigger.fieldChange
        if spec is None:
            continue
        old, new = _field(change.before, spec.field), _field(change.after, spec.field)
        if old == new or (spec.to is not None and new != spec.to):
            continue
        occasion = f"field:{spec.field}:v{change.after.version}"
        trigger = {"type": "fieldChange", "field": spec.field, "from": old, "to": new, "properties": {}}
        journeys.start(ports, live, change.after.key, occasion, trigger, {})


def _field(record: ContactRecord, name: str) -> Any:
    if name.startswith("fields."):
        return record.fields.get(name.removeprefix("fields."))
    return timing_value(record.profile, name)
