"""The folded-events record: what a contact's aggregates hold, stored small, pruned to its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.contacts.folded import Folded, within

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_an_added_event_is_held_with_the_version_that_folded_it():
    folded = Folded()
    folded.add("e1", NOW, 3)
    assert "e1" in folded and "e2" not in folded and folded.version_of("e1") == 3


def test_the_record_reads_back_as_written():
    folded = Folded()
    for n in range(40):
        folded.add(f"e{n}", NOW - timedelta(minutes=n % 5), 1 + n % 5)
    assert Folded.unpack(folded.pack()) == folded


def test_entries_of_one_write_share_their_time_and_version():
    folded = Folded()
    for n in range(7):
        folded.add(f"e{n}", NOW, 2)
    assert len(folded.pack()) == 10 + 7 * 8


def test_pruning_drops_what_fell_out_of_the_window():
    folded = Folded()
    folded.add("old", NOW - timedelta(hours=25), 1)
    folded.add("new", NOW - timedelta(hours=1), 2)
    folded.prune(NOW, timedelta(hours=24))
    assert "old" not in folded and "new" in folded


def test_absorbing_a_profile_keeps_both_records():
    mine, theirs = Folded(), Folded()
    mine.add("a", NOW, 1)
    theirs.add("b", NOW, 4)
    mine.absorb(theirs)
    assert "a" in mine and "b" in mine


def test_a_row_younger_than_the_window_less_its_margin_counts_as_recent():
    assert within(NOW - timedelta(hours=23), NOW)
    assert not within(NOW - timedelta(hours=24), NOW)
