"""The workflow task function: what every journey's state machine calls (``app.workflow_task``).

``action`` says what: ``run`` a stretch (``run.py``), ``park`` a wait for an event (keep its task token where the
consumer finds it), or record a journey's ``fail``ure. Errors reach Step Functions by class name: ``Retryable`` is
retried by the state machine, ``JourneyStopped`` ends the journey as stopped, anything else is caught into the
journey's failure.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import InvalidInput
from chalicelib.ports import Ports
from chalicelib.services.workflows import revisions, run
from chalicelib.services.workflows.scope import BlockFailed, JourneyStopped
from chalicelib.workflows.blocks import WaitForEvent
from chalicelib.workflows.journeys import Park, StepRecord
from chalicelib.workflows.waits import scaled

log = logging.getLogger("orbit.workflows")
PARK_MARGIN = timedelta(minutes=5)  # a park outlives its task token's timeout by this much

__all__ = ["BlockFailed", "JourneyStopped", "handle"]


def handle(ports: Ports, event: dict[str, Any]) -> dict[str, Any]:
    action = event.get("action")
    if action == "run":
        return run.run(ports, event)
    if action == "park":
        return park(ports, event)
    if action == "fail":
        return fail(ports, event)
    raise InvalidInput(f"unknown workflow task action {action!r}")


def park(ports: Ports, event: dict[str, Any]) -> dict[str, Any]:
    """Keep the task token of a ``waitForEvent`` block, keyed by contact and event (and the correlation value its
    ``match`` expression gives), until its timeout."""
    workflow = revisions.load(ports, event["workflow"], int(event["revision"]))
    block_id = event["block"]
    block = workflow.blocks[block_id]
    assert isinstance(block, WaitForEvent), f"{block_id} is not a waitForEvent block"
    journey = event["journey"]
    now = ports.clock.now()
    record = ports.contacts.load(journey["contactKey"])
    if record is None:
        raise JourneyStopped("the contact no longer exists")
    match_property, match_value = _correlation(ports, event, record, block)
    seconds = scaled(block.timeout.seconds, ports.settings.time_scale, at_least=1)
    ports.journeys.park(
        Park(
            contact_key=journey["contactKey"],
            event=block.event,
            token=event["token"],
            workflow_id=event["workflow"],
            execution=journey["execution"],
            block=block_id,
            expires_at=iso(now + timedelta(seconds=seconds) + PARK_MARGIN),
            where=tuple(f.model_dump(mode="json") for f in block.where),
            match_property=match_property,
            match_value=match_value,
        )
    )
    return {"parked": block_id}


def _correlation(
    ports: Ports, event: dict[str, Any], record: ContactRecord, block: WaitForEvent
) -> tuple[str | None, str | None]:
    if not block.match:
        return None, None
    ((prop, expression),) = block.match.items()
    scope = run.scope_for(ports, event, record, ports.clock.now())
    value = scope.expand(expression, f"blocks.{event['block']}.match.{prop}")
    return prop, str(value)


def fail(ports: Ports, event: dict[str, Any]) -> dict[str, Any]:
    """Record that the journey failed, with the error Step Functions caught."""
    journey = event["journey"]
    error = event.get("error") or {}
    step = event.get("step") or {}
    at = iso(ports.clock.now())
    entry = {"block": step.get("at") or "", "ended": "failed", "error": error.get("Error"), "cause": error.get("Cause")}
    ports.journeys.record_step(
        event["workflow"], StepRecord(journey["execution"], int(step.get("seq", 0)) + 1, at, (entry,)), {}
    )
    ports.journeys.end(event["workflow"], journey["contactKey"], journey["execution"], "failed", at)
    log.warning("journey %s failed: %s", journey["execution"], error.get("Error"))
    return {"recorded": True}
