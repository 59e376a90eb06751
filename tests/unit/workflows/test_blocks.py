"""Each acting block on in-memory ports: what it changes, the branch it leaves by, and that a retried task run
does it once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.segments.rules import ListIn
from chalicelib.services import fields
from chalicelib.services.segments import definitions as lists
from chalicelib.services.workflows import definitions
from chalicelib.workflows.journeys import Journey
from tests.unit.workflows.journeys_world import JourneyWorld


@pytest.fixture
def world() -> JourneyWorld:
    w = JourneyWorld()
    for name, kind in (("visits", "number"), ("plan", "string"), ("renewal", "date")):
        fields.declare(w.ports, FieldDeclaration(name=name, type=kind))
    w.contact("ann", email="ann@example.com", firstName="Ann", fields={"visits": 2})
    return w


def by_api(world: JourneyWorld, blocks: dict[str, Any], variables: dict[str, Any] | None = None) -> Journey:
    workflow = {"name": "t", "trigger": {"api": True}, "start": "a", "blocks": blocks}
    workflow_id = world.publish(workflow)
    definitions.start_by_api(world.ports, workflow_id, "ann", variables or {}, "r-1")
    return world.journey(workflow_id, "ann")


END = {"type": "end"}


def test_update_contact_sets_fields_from_expressions_and_increments_once(world):
    journey = by_api(
        world,
        {
            "a": {
                "type": "updateContact",
                "set": {"fields.plan": "{{ vars.plan }}", "lastName": "Smith"},
                "increment": {"fields.visits": 3},
                "next": "e",
            },
            "e": END,
        },
        {"plan": "gold"},
    )
    world.run(journey, "a")
    world.run(journey, "a")  # retried by Step Functions
    record = world.record("ann")
    assert record.fields["plan"] == "gold" and record.fields["visits"] == 5
    assert record.profile["lastName"] == "Smith"


def test_add_to_list_puts_the_contact_in_the_list(world):
    lists.create_list(world.ports, ListIn(id="vip", name="VIP"))
    journey = by_api(world, {"a": {"type": "addToList", "list": "vip", "next": "e"}, "e": END})
    world.run(journey, "a")
    assert world.members("vip") == {"ann"}


def test_a_condition_on_variables_picks_its_branch(world):
    blocks = {
        "a": {
            "type": "condition",
            "where": [{"property": "vars.total", "op": "gte", "value": 100}],
            "next": {"yes": "big", "no": "e"},
        },
        "big": {
            "type": "generateEvent",
            "event": "Big Spender",
            "properties": {"total": "{{ vars.total }}"},
            "next": "e",
        },
        "e": END,
    }
    journey = by_api(world, blocks, {"total": 150})
    world.run(journey, "a")
    assert [e.type for e in world.activity("ann")].count("Big Spender") == 1
    assert world.ports.journeys.counts(journey.workflow_id).counts["a"]["exit:yes"] == 1


def test_a_generated_event_is_logged_once_however_often_the_run_is_retried(world):
    journey = by_api(world, {"a": {"type": "generateEvent", "event": "Nudged", "next": "e"}, "e": END})
    world.run(journey, "a")
    world.run(journey, "a")
    assert [e.type for e in world.activity("ann")].count("Nudged") == 1


def test_a_webhook_answer_is_kept_for_later_blocks_and_carries_an_idempotency_key(world):
    world.ports.webhooks.answers["https://hooks.example.com/score"] = (200, {"score": 7})  # type: ignore[attr-defined]
    blocks = {
        "a": {
            "type": "webhook",
            "url": "https://hooks.example.com/score",
            "body": {"email": "{{ contact.email }}"},
            "saveAs": "crm",
            "next": {"ok": "b", "error": "e"},
        },
        "b": {"type": "wait", "duration": {"hours": 1}, "next": "e"},
        "e": END,
    }
    journey = by_api(world, blocks)
    answer = world.run(journey, "a")
    assert answer["vars"]["crm"] == {"score": 7}
    ((method, url, body, headers),) = world.ports.webhooks.calls  # type: ignore[attr-defined]
    assert method == "POST" and json.loads(body) == {"email": "ann@example.com"}
    assert headers["Idempotency-Key"].endswith(":1:a")


def test_a_webhook_refusal_takes_the_error_branch(world):
    world.ports.webhooks.answers["https://hooks.example.com/x"] = (404, None)  # type: ignore[attr-defined]
    blocks = {
        "a": {"type": "webhook", "url": "https://hooks.example.com/x", "next": {"ok": "e", "error": "e"}},
        "e": END,
    }
    journey = by_api(world, blocks)
    world.run(journey, "a")
    assert world.ports.journeys.counts(journey.workflow_id).counts["a"]["exit:error"] == 1


def test_a_split_sends_a_retried_run_down_the_same_branch(world):
    blocks = {
        "a": {"type": "split", "branches": [{"weight": 1, "next": "x"}, {"weight": 1, "next": "y"}]},
        "x": {"type": "wait", "duration": {"hours": 1}, "next": "e"},
        "y": {"type": "wait", "duration": {"hours": 2}, "next": "e"},
        "e": END,
    }
    journey = by_api(world, blocks)
    assert len({world.run(journey, "a")["at"] for _ in range(5)}) == 1


def test_a_wait_until_a_date_field_answers_the_seconds_to_it(world):
    world.contact("ann", fields={"renewal": "2026-11-28"})  # the clock is 2026-11-27 12:00 UTC
    blocks = {"a": {"type": "wait", "untilDate": {"field": "fields.renewal", "time": "12:00"}, "next": "e"}, "e": END}
    journey = by_api(world, blocks)
    assert world.run(journey, "a")["seconds"] == 86400
