"""Schedule triggers on in-memory ports: the minute job claims a day's run once, and its pages start one journey per
segment member, once, at the schedule's local time."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.contacts import keys
from chalicelib.services import background
from chalicelib.services.workflows import definitions, schedules
from tests.unit.workflows.journeys_world import JourneyWorld

# the world's clock starts on Friday 2026-11-27 at 12:00 UTC


def digest(**schedule: Any) -> dict[str, Any]:
    return {
        "name": "Daily digest",
        "trigger": {"schedule": {"segment": "s", "time": "12:30", **schedule}},
        "start": "send",
        "blocks": {
            "send": {"type": "sendMessage", "channel": "email", "template": "digest", "next": "done"},
            "done": {"type": "end"},
        },
    }


@pytest.fixture
def world() -> JourneyWorld:
    w = JourneyWorld()
    w.template("digest")
    w.contact("ann", email="ann@example.com")
    w.contact("bob", email="bob@example.com")
    w.contact("cid")  # no email: not in the segment
    w.segment({"field": "email", "op": "isSet"})
    return w


def due(world: JourneyWorld) -> int:
    """The minute job, then the background stream drained (the pages run)."""
    queued = schedules.due(world.ports)
    world.drain()
    return queued


def started(world: JourneyWorld, workflow_id: str) -> list[str]:
    """The contacts whose journey's execution was started, one entry per execution."""
    by_name = {j.execution: j.contact_key for j in world.ports.journeys.listed.get(workflow_id, [])}  # type: ignore[attr-defined]
    return sorted(keys.external_id(by_name[e.name]) or "" for e in world.machines.executions.values())


def test_before_its_time_a_schedule_starts_nothing(world):
    world.publish(digest())
    world.advance(minutes=29)

    assert due(world) == 0
    assert world.machines.executions == {}


def test_at_its_time_each_member_of_the_segment_starts_one_journey(world):
    workflow_id = world.publish(digest())
    world.advance(minutes=30)

    assert due(world) == 1
    assert started(world, workflow_id) == ["ann", "bob"]
    trigger = world.input_of(world.journey(workflow_id, "ann"))["journey"]["trigger"]
    assert trigger == {
        "type": "schedule",
        "eventId": "schedule:2026-11-27",
        "properties": {"date": "2026-11-27", "segmentId": "s"},
    }


def test_a_days_run_is_claimed_once_however_often_the_job_runs(world):
    world.publish(digest())
    world.advance(minutes=31)
    due(world)
    world.advance(minutes=1)

    assert due(world) == 0
    assert len(world.machines.executions) == 2


def test_a_redelivered_page_starts_no_journey_twice(world):
    workflow_id = world.publish(digest())
    world.advance(minutes=31)
    schedules.due(world.ports)
    pages = world.ports.publisher.drain_records("imports")  # type: ignore[attr-defined]

    assert background.consume(world.ports, pages) == []
    assert background.consume(world.ports, pages) == []  # SQS delivered the page again

    assert len(world.machines.executions) == 2
    assert world.journey(workflow_id, "ann").entries == 1


def test_a_segment_larger_than_a_page_is_started_page_by_page(world, monkeypatch):
    monkeypatch.setattr(schedules, "PAGE", 1)
    world.contact("dan", email="dan@example.com")
    world.publish(digest())
    world.advance(minutes=31)

    due(world)

    assert len(world.machines.executions) == 3


def test_the_next_day_runs_again(world):
    workflow_id = world.publish(digest())
    world.advance(minutes=31)
    due(world)
    first = world.journey(workflow_id, "ann")
    world.machines.finish(str(first.execution_arn))
    world.ports.journeys.end(workflow_id, first.contact_key, first.execution, "finished", "2026-11-27T13:00:00+00:00")
    world.advance(days=1)

    assert due(world) == 1
    assert world.journey(workflow_id, "ann").execution != first.execution
    assert world.input_of(world.journey(workflow_id, "ann"))["journey"]["trigger"]["eventId"] == "schedule:2026-11-28"


def test_a_weekday_schedule_waits_for_its_weekday(world):
    world.publish(digest(weekday="sat"))
    world.advance(minutes=31)  # Friday

    assert due(world) == 0
    world.advance(days=1)  # Saturday
    assert due(world) == 1


def test_the_time_is_read_in_the_schedules_time_zone(world):
    world.publish(digest(timeZone="America/New_York"))  # 12:30 in New York is 17:30 UTC
    world.advance(minutes=31)

    assert due(world) == 0
    world.advance(hours=5)
    assert due(world) == 1


def test_the_occasion_is_the_local_date(world):
    workflow_id = world.publish(digest(time="01:00", timeZone="Pacific/Kiritimati"))  # UTC+14: Saturday 02:00

    due(world)

    trigger = world.input_of(world.journey(workflow_id, "ann"))["journey"]["trigger"]
    assert trigger["eventId"] == "schedule:2026-11-28"


def test_a_run_more_than_six_hours_late_waits_for_the_next_day(world):
    world.publish(digest(time="05:59"))  # 6 h 1 min ago

    assert due(world) == 0
    world.advance(hours=18)  # 06:00 the next day
    assert due(world) == 1


def test_a_run_ends_when_its_workflow_is_paused(world):
    workflow_id = world.publish(digest())
    world.advance(minutes=31)
    schedules.due(world.ports)
    definitions.set_status(world.ports, workflow_id, "paused")
    world.drain()  # the first page runs after the pause

    assert world.machines.executions == {}
