"""SegmentStore: list and segment definitions with optimistic revisions, and full computations' progress part by
part (a done part stays done; the computation is stamped finished when its last part is done)."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock, iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import Ports, SegmentStore
from chalicelib.segments.models import PARTS, BuildPart, BuildProgress, Generation, SegmentDef

RULE = {
    "all": [
        {"field": "email", "op": "isSet"},
        {"field": "fields.city", "op": "in", "value": ["Kyiv", "Lviv"]},
        {"event": "Product Viewed", "count": {"op": "gte", "value": 3}, "within": {"days": 7}},
        {"orders": "revenue", "op": "gt", "value": 99.5},
        {"any": [{"not": {"not": {"not": {"inList": "vip"}}}}, {"field": "fields.score", "op": "eq", "value": None}]},
    ]
}


@pytest.fixture
def segments(wired: Ports) -> SegmentStore:
    return wired.segments


def definition(segment_id: str = "seg-1", at: str = "2026-11-27T12:00:00.000Z", **changes: object) -> SegmentDef:
    return SegmentDef(
        id=segment_id,
        kind="segment",
        name=f"Segment {segment_id}",
        tags=("shoes", "vip"),
        description="who loves shoes",
        rule=RULE,
        exclude={"any": [{"inSegment": "unsubscribed-everywhere"}]},
        created_at=at,
        updated_at=at,
    ).with_(**changes)


def progress(segment_id: str = "seg-1", generation: int = 1, parts: int = PARTS) -> BuildProgress:
    return BuildProgress(
        segment_id=segment_id,
        generation=generation,
        started_at="2026-11-27T12:00:00.000Z",
        parts={n: BuildPart() for n in range(parts)},
        total_estimate=1000,
    )


# --- definitions -----------------------------------------------------------------------------------------------


def test_a_definition_reads_back_as_created(segments: SegmentStore) -> None:
    segments.create_segment(definition())

    assert segments.segment("seg-1") == definition()
    assert segments.segment("missing") is None


def test_a_list_without_rule_or_tags_reads_back_as_created(segments: SegmentStore) -> None:
    vip = SegmentDef(id="vip", kind="list", name="VIP", created_at="2026-11-27T12:00:00.000Z")
    segments.create_segment(vip)

    assert segments.segment("vip") == vip


def test_creating_an_existing_id_is_a_conflict_and_keeps_the_first(segments: SegmentStore) -> None:
    segments.create_segment(definition())

    with pytest.raises(Conflict):
        segments.create_segment(definition(name="another"))
    stored = segments.segment("seg-1")
    assert stored is not None and stored.name == "Segment seg-1"


def test_every_definition_is_listed_oldest_first(segments: SegmentStore) -> None:
    segments.create_segment(definition("b", at="2026-11-27T12:00:02.000Z"))
    segments.create_segment(definition("c", at="2026-11-27T12:00:00.000Z"))
    segments.create_segment(SegmentDef(id="a", kind="list", name="A", created_at="2026-11-27T12:00:01.000Z"))

    assert [d.id for d in segments.segments()] == ["c", "a", "b"]


def test_a_definition_is_replaced_at_the_expected_revision(segments: SegmentStore) -> None:
    segments.create_segment(definition())
    edited = definition(name="Renamed", rule={"all": []}, revision=2, generation=1, building=2, active=False)

    segments.replace_segment(edited, expected_revision=1)

    assert segments.segment("seg-1") == edited


def test_replacing_at_a_stale_revision_is_a_conflict_and_writes_nothing(segments: SegmentStore) -> None:
    # GIVEN a definition saved twice (revision 2)
    segments.create_segment(definition())
    segments.replace_segment(definition(name="Second", revision=2), expected_revision=1)
    # WHEN a writer that read revision 1 saves
    with pytest.raises(Conflict):
        segments.replace_segment(definition(name="Lost update", revision=2), expected_revision=1)
    # THEN the second save stands
    stored = segments.segment("seg-1")
    assert stored is not None and (stored.name, stored.revision) == ("Second", 2)


def test_replacing_a_definition_that_is_gone_is_not_found(segments: SegmentStore) -> None:
    with pytest.raises(NotFound):
        segments.replace_segment(definition(revision=2), expected_revision=1)
    assert segments.segment("seg-1") is None


def test_deleting_removes_the_definition_and_its_builds_only(segments: SegmentStore) -> None:
    for segment_id in ("seg-1", "seg-2"):
        segments.create_segment(definition(segment_id))
        segments.start_build(progress(segment_id, 1))
    segments.start_build(progress("seg-1", 2))

    segments.delete_segment("seg-1")
    segments.delete_segment("seg-1")  # again: nothing left, no error

    assert segments.segment("seg-1") is None
    assert segments.build(Generation("seg-1", 1)) is None and segments.build(Generation("seg-1", 2)) is None
    assert [d.id for d in segments.segments()] == ["seg-2"]
    assert segments.build(Generation("seg-2", 1)) is not None


# --- builds ------------------------------------------------------------------------------------------------------


def test_a_started_build_reads_back_with_no_part_done(segments: SegmentStore) -> None:
    segments.start_build(progress())

    stored = segments.build(Generation("seg-1", 1))

    assert stored == progress()
    assert stored is not None and not stored.done and stored.scanned == 0
    assert segments.build(Generation("seg-1", 2)) is None


def test_starting_the_same_generation_again_keeps_the_stored_progress(segments: SegmentStore) -> None:
    segments.start_build(progress())
    segments.record_part(Generation("seg-1", 1), 3, BuildPart(scanned=100, members=7, cursor={"pk": "x#u-9"}))

    segments.start_build(progress())  # a redelivered start

    stored = segments.build(Generation("seg-1", 1))
    assert stored is not None and stored.parts[3] == BuildPart(scanned=100, members=7, cursor={"pk": "x#u-9"})


def test_recording_parts_sums_their_progress(segments: SegmentStore) -> None:
    generation = Generation("seg-1", 1)
    segments.start_build(progress())

    segments.record_part(generation, 0, BuildPart(scanned=100, members=10, cursor={"pk": "x#a"}))
    after = segments.record_part(generation, 5, BuildPart(scanned=40, members=4, done=True))

    assert after.scanned == 140 and sum(p.members for p in after.parts.values()) == 14
    assert after.parts[0].cursor == {"pk": "x#a"} and after.parts[5].done
    assert not after.done and after.finished_at is None
    assert segments.build(generation) == after


def test_a_done_part_stays_done(segments: SegmentStore) -> None:
    # GIVEN a part recorded done
    generation = Generation("seg-1", 1)
    segments.start_build(progress())
    segments.record_part(generation, 2, BuildPart(scanned=300, members=30, done=True))
    # WHEN a redelivered message records it again, not done
    after = segments.record_part(generation, 2, BuildPart(scanned=200, members=20, cursor={"pk": "x#m"}))
    # THEN the done progress stands
    assert after.parts[2] == BuildPart(scanned=300, members=30, done=True)
    assert segments.build(generation) == after


def test_the_build_is_finished_when_its_last_part_is_done(segments: SegmentStore, clock: FixedClock) -> None:
    generation = Generation("seg-1", 1)
    segments.start_build(progress(parts=3))
    segments.record_part(generation, 0, BuildPart(scanned=1, done=True))
    segments.record_part(generation, 1, BuildPart(scanned=1, done=True))
    clock.advance(minutes=5)
    finished = iso(clock.now())

    last = segments.record_part(generation, 2, BuildPart(scanned=1, done=True))
    clock.advance(minutes=5)
    again = segments.record_part(generation, 2, BuildPart(scanned=1, done=True))  # a redelivery

    assert last.done and last.scanned == 3 and last.finished_at == finished
    assert again == last == segments.build(generation)


def test_recording_a_part_of_a_build_never_started_is_not_found(segments: SegmentStore) -> None:
    with pytest.raises(NotFound):
        segments.record_part(Generation("seg-1", 1), 0, BuildPart(scanned=1))
    segments.start_build(progress(generation=1))
    assert segments.build(Generation("seg-1", 1)) == progress(generation=1)


def test_generations_are_apart_even_when_one_number_prefixes_another(segments: SegmentStore) -> None:
    segments.start_build(progress(generation=1, parts=2))
    segments.start_build(progress(generation=10, parts=3))
    segments.record_part(Generation("seg-1", 10), 0, BuildPart(scanned=5))

    one, ten = segments.build(Generation("seg-1", 1)), segments.build(Generation("seg-1", 10))

    assert one is not None and sorted(one.parts) == [0, 1] and one.scanned == 0
    assert ten is not None and sorted(ten.parts) == [0, 1, 2] and ten.scanned == 5
