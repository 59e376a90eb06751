"""Memberships: each contact's state in each generation, never replaced by an evaluation of an older contact
version, with the member count moved exactly once per transition; listings by page, by contact and by due
moment; dropping a generation."""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.ports import Memberships, Ports
from chalicelib.segments.models import Generation, MemberState, Written

GEN = Generation("seg-1", 1)
T = "2026-11-27T12:00:00.000Z"


@pytest.fixture
def memberships(wired: Ports) -> Memberships:
    return wired.memberships


def member(version: int = 1, since: str = T, next_at: str | None = None) -> MemberState:
    return MemberState(member=True, version=version, since=since, next_at=next_at, changed_at=since)


def outsider(version: int = 1, next_at: str | None = "2026-12-04T10:00:00.000Z") -> MemberState:
    return MemberState(member=False, version=version, next_at=next_at, changed_at=T)


def keys(n: int, prefix: str = "x#u-") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def everyone(memberships: Memberships, generation: Generation, limit: int) -> list[list[str]]:
    """Every page of the listing, following the cursors."""
    pages: list[list[str]] = []
    page, cursor = memberships.members(generation, limit)
    pages.append([k for k, _ in page])
    for _ in range(200):
        if cursor is None:
            return pages
        page, cursor = memberships.members(generation, limit, cursor)
        pages.append([k for k, _ in page])
    raise AssertionError("the cursors never ended")


# --- writes and counts -----------------------------------------------------------------------------------------


def test_a_new_member_is_stored_and_counted(memberships: Memberships) -> None:
    assert memberships.write(GEN, "x#u-1", member(3)) == Written(applied=True, previous=None)

    assert memberships.states(GEN, ["x#u-1", "x#nobody"]) == {"x#u-1": member(3)}
    assert memberships.count(GEN) == 1


def test_a_non_member_with_a_moment_is_stored_but_not_counted(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", outsider())

    assert memberships.states(GEN, ["x#u-1"]) == {"x#u-1": outsider()}
    assert memberships.count(GEN) == 0


def test_a_state_of_an_older_version_is_refused_and_changes_nothing(memberships: Memberships) -> None:
    # GIVEN a member evaluated on contact version 5
    memberships.write(GEN, "x#u-1", member(5))
    # WHEN an evaluation of version 4 arrives late, saying it left
    written = memberships.write(GEN, "x#u-1", outsider(4))
    # THEN it is refused with the stored state, which stays, and the count with it
    assert written == Written(applied=False, previous=member(5))
    assert memberships.states(GEN, ["x#u-1"]) == {"x#u-1": member(5)}
    assert memberships.count(GEN) == 1


def test_an_equal_version_overwrites(memberships: Memberships) -> None:
    # (a sweep re-evaluates the same contact version when its moment comes)
    memberships.write(GEN, "x#u-1", member(5, next_at="2026-12-01T00:00:00.000Z"))

    written = memberships.write(GEN, "x#u-1", member(5, next_at="2026-12-08T00:00:00.000Z"))

    assert written == Written(applied=True, previous=member(5, next_at="2026-12-01T00:00:00.000Z"))
    assert memberships.states(GEN, ["x#u-1"])["x#u-1"].next_at == "2026-12-08T00:00:00.000Z"
    assert memberships.count(GEN) == 1


def test_the_count_moves_once_per_flip(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member(1))
    memberships.write(GEN, "x#u-2", member(1))
    assert memberships.count(GEN) == 2

    assert memberships.write(GEN, "x#u-1", outsider(2)).previous == member(1)  # leaves
    assert memberships.count(GEN) == 1
    memberships.write(GEN, "x#u-1", outsider(3, next_at="2026-12-24T00:00:00.000Z"))  # still out
    assert memberships.count(GEN) == 1
    memberships.write(GEN, "x#u-2", member(2, since="2026-11-28T00:00:00.000Z"))  # still in
    assert memberships.count(GEN) == 1
    memberships.write(GEN, "x#u-1", member(4))  # back in
    assert memberships.count(GEN) == 2


def test_remove_takes_a_member_out_of_the_count(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member(2))
    memberships.write(GEN, "x#u-2", outsider(2))

    assert memberships.remove(GEN, "x#u-1", 2) == Written(applied=True, previous=member(2))
    assert memberships.remove(GEN, "x#u-2", 3) == Written(applied=True, previous=outsider(2))

    assert memberships.states(GEN, ["x#u-1", "x#u-2"]) == {}
    assert memberships.count(GEN) == 0


def test_remove_of_an_older_version_is_refused(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member(5))

    assert memberships.remove(GEN, "x#u-1", 4) == Written(applied=False, previous=member(5))
    assert memberships.states(GEN, ["x#u-1"]) == {"x#u-1": member(5)}
    assert memberships.count(GEN) == 1


def test_remove_of_nothing_stored_applies_and_changes_nothing(memberships: Memberships) -> None:
    assert memberships.remove(GEN, "x#u-1", 1) == Written(applied=True, previous=None)
    assert memberships.count(GEN) == 0


def test_generations_keep_their_own_states_and_counts(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member(1))
    memberships.write(Generation("seg-1", 2), "x#u-1", outsider(1))
    memberships.write(Generation("seg-10", 1), "x#u-1", member(1))

    assert (memberships.count(GEN), memberships.count(Generation("seg-1", 2))) == (1, 0)
    assert memberships.states(Generation("seg-1", 2), ["x#u-1"]) == {"x#u-1": outsider(1)}
    assert memberships.count(Generation("seg-10", 1)) == 1


def test_states_reads_many_contacts_at_once(memberships: Memberships) -> None:
    written = {key: outsider(n) if n % 10 else member(n) for n, key in enumerate(keys(120))}  # over one batch
    for key, state in written.items():
        memberships.write(GEN, key, state)

    assert memberships.states(GEN, [*written, "x#nobody", *written]) == written
    assert memberships.states(GEN, []) == {}


# --- listings ---------------------------------------------------------------------------------------------------


def test_members_pages_through_every_member_once(memberships: Memberships) -> None:
    inside = keys(40)
    for key in inside:
        memberships.write(GEN, key, member())
    for key in keys(10, "x#out-"):
        memberships.write(GEN, key, outsider())
    memberships.write(Generation("seg-1", 2), "x#other", member())

    pages = everyone(memberships, GEN, 7)

    listed = [key for page in pages for key in page]
    assert sorted(listed) == inside  # each once, never a non-member, nothing of another generation
    assert all(len(page) <= 7 for page in pages) and len(pages) >= 6
    first, _ = memberships.members(GEN, 3)
    assert all(state == member() for _, state in first)


def test_members_of_an_empty_generation_is_one_empty_page(memberships: Memberships) -> None:
    assert memberships.members(GEN, 10) == ([], None)


def test_a_cursor_of_another_listing_is_invalid_input(memberships: Memberships) -> None:
    for key in keys(12):
        memberships.write(GEN, key, member())
        memberships.write(Generation("seg-2", 1), key, member())
    _, cursor = memberships.members(GEN, 2)
    assert cursor is not None

    with pytest.raises(InvalidInput):
        memberships.members(Generation("seg-2", 1), 2, cursor)
    with pytest.raises(InvalidInput):
        memberships.members(Generation("seg-1", 2), 2, cursor)


def test_a_cursor_not_from_the_listing_is_invalid_input(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member())
    forged = [
        "not a cursor",
        "!!!",
        base64.urlsafe_b64encode(b'{"g": "seg-1#1"}').decode(),
        base64.urlsafe_b64encode(json.dumps({"g": "seg-1#1", "s": 99, "k": None}).encode()).decode(),
        json.dumps(["x#u-1"]),
        "fake.e30=",
    ]
    for garbage in forged:
        with pytest.raises(InvalidInput):
            memberships.members(GEN, 10, garbage)


def test_for_contact_finds_every_state_of_a_contact(memberships: Memberships) -> None:
    memberships.write(Generation("seg-2", 1), "x#u-1", member(2))
    memberships.write(Generation("seg-1", 1), "x#u-1", outsider(2))
    memberships.write(Generation("seg-1", 2), "x#u-1", member(3))
    memberships.write(Generation("list-1", 0), "x#u-1", member(0))
    memberships.write(Generation("seg-1", 1), "x#u-2", member(1))

    assert memberships.for_contact("x#u-1") == [
        (Generation("list-1", 0), member(0)),
        (Generation("seg-1", 1), outsider(2)),
        (Generation("seg-1", 2), member(3)),
        (Generation("seg-2", 1), member(2)),
    ]
    assert memberships.for_contact("x#nobody") == []


def test_due_lists_the_earliest_moments_first_across_contacts(memberships: Memberships) -> None:
    # GIVEN 30 contacts with moments a day apart (some members, some not), and some with none
    moments = {key: f"2026-12-{n + 1:02d}T00:00:00.000Z" for n, key in enumerate(keys(30))}
    for n, (key, at) in enumerate(sorted(moments.items(), reverse=True)):
        memberships.write(GEN, key, member(next_at=at) if n % 2 else outsider(next_at=at))
    for key in keys(5, "x#none-"):
        memberships.write(GEN, key, member())
    memberships.write(Generation("seg-1", 2), "x#other", outsider(next_at="2026-11-01T00:00:00.000Z"))
    # WHEN the moments up to 20 December are asked for, 12 at a time
    due = memberships.due(GEN, "2026-12-20T00:00:00.000Z", 12)
    # THEN the twelve earliest come, in order
    assert [key for key, _ in due] == keys(12)
    assert [state.next_at for _, state in due] == [moments[k] for k in keys(12)]
    assert [key for key, _ in memberships.due(GEN, "2026-12-20T00:00:00.000Z", 100)] == keys(20)
    assert memberships.due(GEN, "2026-11-30T00:00:00.000Z", 10) == []


def test_a_moment_that_moves_or_goes_leaves_the_due_listing(memberships: Memberships) -> None:
    memberships.write(GEN, "x#u-1", member(1, next_at="2026-12-01T00:00:00.000Z"))
    memberships.write(GEN, "x#u-2", outsider(1, next_at="2026-12-02T00:00:00.000Z"))

    memberships.write(GEN, "x#u-1", member(1, next_at="2027-01-01T00:00:00.000Z"))
    memberships.remove(GEN, "x#u-2", 1)

    assert memberships.due(GEN, "2026-12-31T00:00:00.000Z", 10) == []
    assert [k for k, _ in memberships.due(GEN, "2027-01-01T00:00:00.000Z", 10)] == ["x#u-1"]


# --- drop and concurrency ---------------------------------------------------------------------------------------


def test_drop_removes_a_generation_and_its_count(memberships: Memberships) -> None:
    for n, key in enumerate(keys(30)):
        memberships.write(GEN, key, member() if n % 3 else outsider())
        memberships.write(Generation("seg-1", 2), key, member())

    assert memberships.drop(GEN) == 30
    assert memberships.drop(GEN) == 0

    assert memberships.count(GEN) == 0 and memberships.members(GEN, 10) == ([], None)
    assert memberships.states(GEN, keys(30)) == {} and memberships.due(GEN, "2099-01-01", 10) == []
    assert memberships.count(Generation("seg-1", 2)) == 30
    assert [g for g, _ in memberships.for_contact("x#u-001")] == [Generation("seg-1", 2)]


@pytest.mark.usefixtures("atomic_requests")
def test_racing_writers_end_with_the_newest_state_and_an_exact_count(memberships: Memberships) -> None:
    # GIVEN two writers evaluating the same contacts at once, one on a newer version each round
    contacts = keys(12)
    rounds = 4
    start = threading.Barrier(2)

    def older() -> None:
        start.wait()
        for r in range(rounds):
            for key in contacts:
                memberships.write(GEN, key, member(2 * r + 1))

    def newer() -> None:
        start.wait()
        for r in range(rounds):
            for n, key in enumerate(contacts):
                inside = (n + r) % 2 == 0
                memberships.write(GEN, key, member(2 * r + 2) if inside else outsider(2 * r + 2))

    # WHEN they race
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(older), pool.submit(newer)]:
            done.result()
    # THEN each contact holds the newest evaluation, and the count is its members exactly
    final = memberships.states(GEN, contacts)
    last = 2 * rounds
    assert {k: s.version for k, s in final.items()} == dict.fromkeys(contacts, last)
    assert [k for k, s in final.items() if s.member] == [k for n, k in enumerate(contacts) if (n + rounds - 1) % 2 == 0]
    assert memberships.count(GEN) == sum(s.member for s in final.values())
