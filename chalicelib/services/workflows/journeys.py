"""Starting a contact's journey through a published workflow, and stopping one.

A start records the journey first (``JourneyStore.begin`` applies re-entry and "skip if inside" in one conditional
write), then starts the execution under a name made from the workflow, the contact and the occasion (the trigger
event's id, an API request id, a schedule's date): a duplicate trigger names the same execution and starts nothing.
A start interrupted between the two writes is finished by its retry (the journey is recorded with that execution
name, so the start is repeated, and Step Functions keeps one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.ports import Ports
from chalicelib.services.workflows.published import Live
from chalicelib.workflows.asl import STOPPED_ERROR, initial_input
from chalicelib.workflows.journeys import RUNNING, Journey, execution_name

log = logging.getLogger("orbit.workflows")


def start(
    ports: Ports, live: Live, contact_key: str, occasion: str, trigger: dict[str, Any], variables: dict[str, Any]
) -> str | None:
    """Start ``contact_key``'s journey through ``live``; the execution name, or None when re-entry, "skip if
    inside" or a duplicate trigger refused it."""
    record, workflow = live.record, live.workflow
    if not keys.is_known(contact_key) or record.published is None or record.target is None:
        return None
    now = ports.clock.now()
    name = execution_name(record.id, contact_key, occasion)
    journey = Journey(
        workflow_id=record.id,
        contact_key=contact_key,
        execution=name,
        revision=record.published,
        status=RUNNING,
        started_at=iso(now),
    )
    reentry = workflow.settings.reentry
    not_since = iso(now - timedelta(days=reentry.days)) if reentry.mode == "oncePer" and reentry.days else None
    begun = ports.journeys.begin(
        journey, skip_if_inside=workflow.settings.skipIfInside, once=reentry.mode == "once", not_since=not_since
    )
    if not begun:
        stored = ports.journeys.journey(record.id, contact_key)
        if stored is None or stored.execution != name or stored.status != RUNNING:
            return None
        journey = stored  # this very start was interrupted after recording the journey: finish it
    context = {
        "workflowId": record.id,
        "revision": journey.revision,
        "contactKey": contact_key,
        "execution": name,
        "startedAt": journey.started_at,
        "trigger": trigger,
    }
    arn = ports.machines.start(record.target, name, initial_input(context, variables))
    if arn is None:
        # an execution of this name ran already (a trigger replayed after a newer journey): the record just written
        # describes no running execution, so it must not hold the contact "inside"
        ports.journeys.end(record.id, contact_key, name, "stopped", iso(ports.clock.now()))
        log.info("duplicate journey start", extra={"workflowId": record.id, "execution": name})
        return None
    ports.journeys.set_execution_arn(record.id, contact_key, name, arn)
    log.info("journey started", extra={"workflowId": record.id, "execution": name})
    return name


def stop(ports: Ports, journey: Journey, reason: str, waited_events: Iterable[str] = ()) -> bool:
    """End a running journey as stopped; False when it had ended already. A journey parked on one of
    ``waited_events`` has its parked task failed with ``JourneyStopped`` (the state machine ends in ``Stopped``);
    any other execution is stopped."""
    if not ports.journeys.end(
        journey.workflow_id, journey.contact_key, journey.execution, "stopped", iso(ports.clock.now())
    ):
        return False
    failed = False
    for event in set(waited_events):
        for park in ports.journeys.parked(journey.contact_key, event):
            if park.execution == journey.execution and ports.journeys.unpark(park):
                failed = ports.machines.fail_task(park.token, STOPPED_ERROR, reason) or failed
    if not failed and journey.execution_arn:
        ports.machines.stop(journey.execution_arn, reason)
    ports.journeys.add_counts(journey.workflow_id, {"journey": {"stopped": 1}})
    return True
