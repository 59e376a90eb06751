"""Schedule triggers: every day (or every ``weekday``) at ``time`` in ``timeZone``, a journey for each member of a
segment.

Every minute the ``workflow_schedules`` job (:func:`due`) looks at each published workflow with a schedule. When
the schedule's time has passed on today's local date, the job claims that run once across processes
(``JourneyStore.claim_occasion``). It then queues the first ``workflowPage`` message with the segment's
generation served at that moment; later recomputations don't move it. Each page (:func:`run_page`) starts the
journeys of up to ``PAGE`` members and queues the next page.

* The occasion is ``schedule:<local date>``. It names each contact's execution, so a page delivered twice, or
  a chain queued twice, starts nothing twice. Re-entry and "skip if inside" apply as for any trigger.
* A run starts at most ``LATE`` after its time. After that the day is skipped: a scheduler that was down, or a
  workflow published at 16:00 for 09:00, doesn't send a morning message in the evening or release a late burst.
  Six hours still covers a deploy or an outage of the scheduler, and a time near midnight whose run is picked up
  on the next local date.
* The claim is written before the page is queued. A queue failure between the two loses that day's run (logged
  as an error); the reverse order would queue a new run every minute until a claim was recorded.
* A page of a workflow paused, archived or republished without a schedule since the claim ends the run.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from chalicelib.messages import WorkflowPageMsg
from chalicelib.ports import Ports
from chalicelib.segments import timing
from chalicelib.segments.models import Generation
from chalicelib.services.workflows import journeys
from chalicelib.services.workflows.published import PUBLISHED, Live
from chalicelib.workflows.blocks import WEEKDAYS
from chalicelib.workflows.model import Schedule

log = logging.getLogger("orbit.workflows")
# members started per page: the imports consumer takes 5 messages per batch within its 60 s, and a start is a few
# writes and a StartExecution call
PAGE = 50
LATE = timedelta(hours=6)  # the latest a day's run still starts after its time
OCCASION = "schedule:"


def due_day(schedule: Schedule, now: datetime) -> date | None:
    """The local date whose run is due at ``now`` (its time passed less than ``LATE`` ago), or None."""
    tz = timing.zone(schedule.timeZone)
    today = now.astimezone(tz).date()
    at = time(int(schedule.time[:2]), int(schedule.time[3:]))
    for day in (today, today - timedelta(days=1)):
        if schedule.weekday is not None and WEEKDAYS[day.weekday()] != schedule.weekday:
            continue
        moment = datetime.combine(day, at, tzinfo=tz)
        if moment <= now < moment + LATE:
            return day
    return None


def due(ports: Ports) -> int:
    """Claim and queue each scheduled run that is due; returns how many runs were queued."""
    now = ports.clock.now()
    queued = 0
    for live in PUBLISHED.get(ports).live:
        schedule = live.workflow.trigger.schedule
        day = due_day(schedule, now) if schedule is not None else None
        if schedule is None or day is None:
            continue
        workflow_id, occasion = live.record.id, OCCASION + day.isoformat()
        if not ports.journeys.claim_occasion(workflow_id, occasion):
            continue  # this run was queued already (here or by another process)
        segment = ports.segments.segment(schedule.segment)
        if segment is None:
            log.warning(
                "scheduled run skipped: no such segment",
                extra={"workflowId": workflow_id, "occasion": occasion, "segmentId": schedule.segment},
            )
            continue
        first = WorkflowPageMsg(
            workflowId=workflow_id, occasion=occasion, segmentId=segment.id, generation=segment.generation
        )
        try:
            ports.publisher.publish([first])
        except Exception:  # the job fails; the workflows after this one are claimed on the next minute
            log.error("scheduled run lost: its first page was not queued", extra=_about(first))
            raise
        log.info("scheduled run queued", extra=_about(first))
        queued += 1
    return queued


def run_page(ports: Ports, message: WorkflowPageMsg) -> None:
    """Start the journeys of one page of the run's members, then queue the next page."""
    live = _scheduled(ports, message.workflowId)
    if live is None:
        log.info("scheduled run ended: the workflow no longer runs on a schedule", extra=_about(message))
        return
    generation = Generation(message.segmentId, message.generation)
    found, after = ports.memberships.members(generation, PAGE, message.cursor)
    trigger = {
        "type": "schedule",
        "eventId": message.occasion,
        "properties": {"date": message.occasion.removeprefix(OCCASION), "segmentId": message.segmentId},
    }
    started = sum(
        journeys.start(ports, live, contact_key, message.occasion, trigger, {}) is not None for contact_key, _ in found
    )
    if after is not None:  # queued after the starts: a page that fails is redelivered before the chain goes on
        ports.publisher.publish([message.model_copy(update={"page": message.page + 1, "cursor": after})])
    log.info("scheduled page done", extra={**_about(message), "members": len(found), "started": started})


def _scheduled(ports: Ports, workflow_id: str) -> Live | None:
    """The published workflow, if it still has a schedule trigger. A miss reads the workflows again (another
    process may have published it within the cache's time)."""
    live = PUBLISHED.get(ports).by_id(workflow_id)
    if live is None:
        PUBLISHED.invalidate()
        live = PUBLISHED.get(ports).by_id(workflow_id)
    return live if live is not None and live.workflow.trigger.schedule is not None else None


def _about(message: WorkflowPageMsg) -> dict[str, object]:
    return {"workflowId": message.workflowId, "occasion": message.occasion, "page": message.page}
