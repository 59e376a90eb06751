"""List members on the in-memory ports: the one code path (``add_members``/``remove_members``), chunking and the
request positions a chunk's row errors name."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.messages import ListMembersMsg
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation, MemberState, SegmentDef
from chalicelib.segments.rules import ListIn
from chalicelib.services.segments import definitions, lists
from chalicelib.services.segments.members import members_page
from tests.fakes import NOW, fake_ports

VIP = Generation("vip", 0)


@pytest.fixture
def ports() -> Ports:
    wired = fake_ports()
    definitions.create_list(wired, ListIn(id="vip", name="VIP"))
    for n in range(1, 1201):
        wired.contacts.save(ContactRecord(key=f"x#u-{n}"), None)
    return wired


def test_a_new_member_is_stored_with_the_request_time_as_version_and_since(ports):
    lists.add_members(ports, "vip", ["u-1"], NOW)
    assert ports.memberships.states(VIP, ["x#u-1"])["x#u-1"] == MemberState(
        member=True,
        version=lists.version_of(NOW),
        since="2026-11-27T12:00:00.000Z",
        changed_at="2026-11-27T12:00:00.000Z",
    )


def test_version_is_milliseconds_since_the_epoch():
    assert lists.version_of(NOW) == int(NOW.timestamp()) * 1000
    assert lists.version_of(NOW + timedelta(microseconds=1999)) == int(NOW.timestamp()) * 1000 + 1


def test_an_older_removal_arriving_late_leaves_newer_members_in(ports):
    lists.add_members(ports, "vip", ["u-1"], NOW)
    lists.add_members(ports, "vip", ["u-2"], NOW + timedelta(seconds=2))
    lists.remove_members(ports, "vip", ["u-2"], NOW + timedelta(seconds=3))
    late = lists.remove_members(ports, "vip", ["u-1"], NOW - timedelta(seconds=1))
    assert (late.changed, late.unchanged) == (0, 1)
    assert ports.memberships.count(VIP) == 1


def test_re_adding_a_member_moves_its_version_so_an_older_removal_still_loses(ports):
    lists.add_members(ports, "vip", ["u-1"], NOW)
    lists.add_members(ports, "vip", ["u-1"], NOW + timedelta(seconds=10))
    lists.remove_members(ports, "vip", ["u-1"], NOW + timedelta(seconds=5))  # older than the second add
    state = ports.memberships.states(VIP, ["x#u-1"])["x#u-1"]
    assert state.member and state.since == "2026-11-27T12:00:00.000Z"


def test_a_list_that_is_not_there_is_not_found(ports):
    with pytest.raises(NotFound):
        lists.add_members(ports, "nope", ["u-1"], NOW)


def test_a_segment_is_not_a_list(ports):
    ports.segments.create_segment(SegmentDef(id="seg", kind="segment", name="Seg", rule={"all": []}))
    with pytest.raises(NotFound):
        lists.add_members(ports, "seg", ["u-1"], NOW)


def test_errors_name_the_first_position_of_a_repeated_id(ports):
    outcome = lists.add_members(ports, "vip", ["u-1", "ghost", "ghost", "u-1"], NOW)
    assert (outcome.changed, outcome.unchanged) == (1, 0)
    assert [(e.index, e.externalId) for e in outcome.errors] == [(1, "ghost")]


def test_chunks_hold_at_most_500_ids_and_know_where_they_start():
    ids = [f"u-{n}" for n in range(1201)]
    chunks = lists._chunks(ids)
    assert [(start, len(chunk)) for start, chunk in chunks] == [(0, 500), (500, 500), (1000, 201)]
    assert [e for _s, chunk in chunks for e in chunk] == ids


def test_long_ids_make_smaller_chunks():
    ids = [f"{n:04d}" + "é" * 250 for n in range(500)]  # each about 1.5 KB of escaped JSON
    chunks = lists._chunks(ids)
    assert len(chunks) > 1 and all(len(json.dumps(chunk)) <= lists.CHUNK_BYTES for _s, chunk in chunks)
    assert [start for start, _c in chunks] == [sum(len(c) for _s, c in chunks[:i]) for i in range(len(chunks))]


@pytest.mark.parametrize(
    ("position", "duplicates", "index"),
    [(0, [], 0), (5, [], 5), (0, [1], 0), (1, [1], 2), (1, [1, 2], 3), (3, [0, 4], 5), (2, [7], 2)],
)
def test_a_chunk_position_maps_back_to_the_request_index(position, duplicates, index):
    # the distinct IDs are the request without its repeats: the position-th of them sits at this index
    assert lists._request_index(position, duplicates) == index


def test_a_job_records_its_chunks_once_and_sums_them(ports):
    ids = [f"u-{n}" for n in range(1, 1201)]
    job = lists.request(ports, "vip", "add", ids)
    assert isinstance(job, lists.MembersJob)
    messages = [m for m in ports.publisher.drain("imports") if isinstance(m, ListMembersMsg)]  # type: ignore[attr-defined]
    for message in [*messages, messages[0]]:  # the first one delivered twice
        lists.apply_members_chunk(ports, message)
    status = lists.job_status(ports, "vip", job.jobId)
    assert (status.status, status.total, status.added, status.unchanged, status.failed) == (
        "FINISHED",
        1200,
        1200,
        0,
        0,
    )


def test_a_request_of_at_most_500_distinct_ids_is_applied_at_once(ports):
    ids = [f"u-{n}" for n in range(1, 501)] * 2  # 1,000 IDs, 500 different
    result = lists.request(ports, "vip", "add", ids)
    assert isinstance(result, lists.MembersResult) and result.added == 500


def test_members_page_refuses_a_cursor_of_an_older_generation(ports):
    lists.add_members(ports, "vip", ["u-1", "u-2"], NOW)
    definition = definitions.get(ports, "vip", "list")
    cursor = members_page(ports, definition, 1).nextCursor
    with pytest.raises(InvalidInput) as caught:
        members_page(ports, definition.with_(generation=1), 1, cursor)
    assert caught.value.details[0].path == "cursor"
