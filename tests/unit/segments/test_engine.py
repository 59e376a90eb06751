"""Segments as a whole on in-memory ports: full computations, real-time entering and leaving, the time sweep,
edits that keep the old membership serving, dependencies, and failures that retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.segments.rules import SegmentIn
from chalicelib.services.segments import definitions, inspect, membership
from tests.unit.segments.world import World

VIEWED_SHOES = {
    "event": "Product Viewed",
    "where": [{"property": "category", "op": "eq", "value": "Shoes"}],
    "within": {"days": 7},
}


@pytest.fixture
def world() -> World:
    return World()


def segment_events(world: World, external_id: str) -> list[tuple[str, Any]]:
    return [
        (e.type, e.properties.get("segmentId"))
        for e in world.activity(external_id)
        if e.type in (membership.SEGMENT_ENTERED, membership.SEGMENT_EXITED)
    ]


def test_a_new_segment_is_computed_from_the_existing_contacts(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.contact("bob")
    world.segment({"field": "email", "op": "isSet"})
    assert world.members() == {"ann"}
    definition = world.ports.segments.segment("s")
    assert definition is not None and definition.generation == 1 and definition.building is None
    assert world.ports.memberships.count(definition.serving) == 1


def test_the_first_computation_announces_nothing(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.segment({"field": "email", "op": "isSet"})
    assert segment_events(world, "ann") == []


def test_an_event_makes_a_contact_enter_in_real_time(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES)
    assert world.members() == set()
    world.send(world.event("ann", "Product Viewed", category="Shoes"))
    assert world.members() == {"ann"}
    assert segment_events(world, "ann") == [("Segment Entered", "s")]


def test_an_event_that_does_not_match_the_filter_changes_nothing(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES)
    world.send(world.event("ann", "Product Viewed", category="Hats"))
    assert world.members() == set()


def test_a_profile_change_makes_a_contact_leave(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.segment({"field": "email", "op": "isSet"})
    world.contact("ann", email=None)
    assert world.members() == set()
    assert segment_events(world, "ann") == [("Segment Exited", "s")]


def test_a_redelivered_batch_announces_once(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES)
    view = world.event("ann", "Product Viewed", category="Shoes")
    world.send(view)
    world.send(view)
    assert segment_events(world, "ann") == [("Segment Entered", "s")]


def test_time_alone_makes_a_contact_leave_at_the_stored_moment(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES)
    world.send(world.event("ann", "Product Viewed", category="Shoes"))
    state = world.state("ann")
    assert state is not None and state.member and state.next_at is not None
    world.advance(days=6)
    assert world.sweep()["exited"] == 0
    world.advance(days=2)
    assert world.sweep()["exited"] == 1
    assert world.members() == set()
    exited = [e for e in world.activity("ann") if e.type == "Segment Exited"]
    assert [e.timestamp for e in exited] == [datetime.fromisoformat(state.next_at)]


def test_the_sweep_reads_only_contacts_whose_moment_passed(world: World) -> None:
    for n in range(5):
        world.contact(f"c{n}")
    world.segment(VIEWED_SHOES)
    world.send(world.event("c0", "Product Viewed", category="Shoes"))
    world.advance(days=8)
    result = world.sweep()
    assert (result["due"], result["evaluated"]) == (1, 1)


def test_a_change_a_segment_does_not_read_does_not_evaluate_it(world: World, monkeypatch: Any) -> None:
    world.contact("ann")
    world.segment({"field": "fields.birthday", "op": "anniversaryWithin", "days": 7}, "birthdays")
    evaluated: list[str] = []
    real = membership.evaluate
    monkeypatch.setattr(membership, "evaluate", lambda r, e, f: evaluated.append("x") or real(r, e, f))
    world.send(world.event("ann", "Product Viewed", category="Shoes"))
    assert evaluated == []


def test_an_edited_rule_keeps_the_old_membership_serving_until_computed(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.contact("bob", phone="+380501234567")
    world.segment({"field": "email", "op": "isSet"})
    definitions.replace_segment(
        world.ports, "s", SegmentIn(id="s", name="s", rule={"field": "phone", "op": "isSet"}), None
    )
    assert world.members() == {"ann"}  # nothing drained yet: generation 1 serves
    world.drain()
    assert world.members() == {"bob"}
    definition = world.ports.segments.segment("s")
    assert definition is not None and definition.generation == 2


def test_a_segment_naming_another_follows_it_in_the_same_pass(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES, "shoes")
    world.segment({"inSegment": "shoes"}, "follows")
    world.send(world.event("ann", "Product Viewed", category="Shoes"))
    assert world.members("follows") == {"ann"}


def test_a_cycle_through_in_segment_is_refused(world: World) -> None:
    world.segment({"field": "email", "op": "isSet"}, "a")
    world.segment({"inSegment": "a"}, "b")
    with pytest.raises(InvalidInput) as raised:
        definitions.replace_segment(world.ports, "a", SegmentIn(id="a", name="a", rule={"inSegment": "b"}), None)
    assert "a -> b -> a" in raised.value.details[0].message


def test_a_rule_naming_an_unknown_list_is_refused_with_its_path(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        world.segment({"all": [{"field": "email", "op": "isSet"}, {"inList": "nope"}]})
    assert [d.path for d in raised.value.details] == ["rule.all[1].inList"]


def test_a_deleted_contact_leaves_every_segment(world: World) -> None:
    from chalicelib.services import lifecycle

    world.contact("ann", email="ann@example.com")
    world.segment({"field": "email", "op": "isSet"})
    lifecycle.delete(world.ports, "ann", erase=False)
    assert world.members() == set()


def test_a_failed_membership_write_fails_the_records_and_the_retry_applies_it(world: World) -> None:
    world.contact("ann")
    world.segment(VIEWED_SHOES)
    memberships = world.ports.memberships
    real_write = memberships.write
    calls = {"n": 0}

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("throttled")
        return real_write(*args, **kwargs)

    memberships.write = failing_once  # type: ignore[method-assign]
    view = world.event("ann", "Product Viewed", category="Shoes")
    assert world.send(view) != []
    assert world.members() == set()
    world.send(view, redelivered=True)  # the redelivery replays the change
    assert world.members() == {"ann"}
    assert segment_events(world, "ann") == [("Segment Entered", "s")]


def test_explain_names_each_condition_and_the_next_change(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.segment({"all": [{"field": "email", "op": "isSet"}, VIEWED_SHOES]})
    world.send(world.event("ann", "Product Viewed", category="Shoes"))
    found = inspect.explain(world.ports, "s", "ann")
    assert found["member"] is True and found["memberSince"] is not None
    assert found["nextChange"] is not None
    children = found["conditions"][0]["children"]
    assert [c["path"] for c in children] == ["rule.all[0]", "rule.all[1]"]
    assert all(c["value"] for c in children)


def test_preview_counts_and_samples_without_saving(world: World) -> None:
    world.contact("ann", email="ann@example.com")
    world.contact("bob")
    found = inspect.preview(world.ports, SegmentIn(name="p", rule={"field": "email", "op": "isSet"}))
    assert (found.count, found.scanned, found.complete, found.sample) == (1, 2, True, ["ann"])
    assert world.ports.segments.segments() == []


def test_redelivered_computation_messages_do_not_scan_a_part_twice(world: World, monkeypatch: Any) -> None:
    from chalicelib.segments.models import Generation
    from chalicelib.services import background
    from chalicelib.services.segments import builds

    for n in range(30):
        world.contact(f"c{n}", email=f"c{n}@example.com")
    monkeypatch.setattr(builds, "PAGE", 2)
    monkeypatch.setattr(builds, "BUDGET_SECONDS", 0.0)  # one page per message: parts go on in chains
    definitions.create_segment(world.ports, SegmentIn(id="s", name="s", rule={"field": "email", "op": "isSet"}))
    handled: list[tuple[str, str]] = []
    while pending := world.ports.publisher.drain_records("imports"):  # type: ignore[attr-defined]
        background.consume(world.ports, pending)
        background.consume(world.ports, pending)  # each delivered twice, as SQS may
        handled += pending
    assert len(handled) > 8  # the parts ran as chains
    background.consume(world.ports, handled)  # and all of them once more, late
    progress = world.ports.segments.build(Generation("s", 1))
    assert progress is not None and progress.scanned == 30
    assert world.members() == {f"c{n}" for n in range(30)}
