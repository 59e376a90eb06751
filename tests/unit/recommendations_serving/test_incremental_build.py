"""Incremental rebuilds on the fakes: a run keeps its counts, the next reads only the events since them and builds
the lists a full run builds; counts missing, from a full rebuild a week old, or from a run out of time mean a
full run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.contacts import keys
from chalicelib.services.recommendations import build
from tests.unit.recommendations_serving.shop import Shop


@pytest.fixture
def shop() -> Shop:
    found = Shop()
    for product, category in (("beans", "Coffee"), ("grinder", "Coffee"), ("mug", "Kitchen"), ("tea", "Tea")):
        found.product(product, category)
    ann, bob = found.contact("ann"), found.contact("bob")
    found.bought(ann, "beans", "grinder", ago=timedelta(days=20))
    found.viewed(bob, "tea", ago=timedelta(days=3))
    found.bought(bob, "beans", "mug", ago=timedelta(hours=2))
    return found


def later(shop: Shop, **delta: float) -> None:
    """Move the shop's time (new events) and the job's clock forward together."""
    shop.now += timedelta(**delta)
    clock = shop.ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(**delta)


def new_events(shop: Shop) -> None:
    ann, cat = keys.known("ann"), shop.contact("cat")
    shop.viewed(ann, "mug", ago=timedelta(hours=5))
    shop.bought(ann, "tea", "mug", ago=timedelta(hours=3))
    shop.bought(cat, "beans", "grinder", "tea", ago=timedelta(hours=1))


def stored(shop: Shop) -> dict[tuple[str, str], list[tuple[str, float]]]:
    store = shop.ports.recommendations
    return {key: [(s.product_id, s.score) for s in found] for key, found in store.lists.items()}  # type: ignore[attr-defined]


def test_the_first_run_is_full_and_keeps_its_counts(shop):
    outcome = build.rebuild(shop.ports, parts=2)
    assert not outcome.incremental and outcome.counts_write_units > 0
    assert shop.ports.recommendations.get_counts() is not None


def test_the_next_run_reads_only_the_events_since_the_kept_counts(shop):
    build.rebuild(shop.ports, parts=2)
    later(shop, hours=6)
    new_events(shop)
    outcome = build.rebuild(shop.ports, parts=2)
    assert outcome.incremental
    assert outcome.events == 3  # the view and the two orders after the last run, nothing before it


def test_an_incremental_run_builds_the_lists_a_full_run_builds(shop):
    build.rebuild(shop.ports, parts=2)
    later(shop, hours=6)
    new_events(shop)
    build.rebuild(shop.ports, parts=2)
    incremental = stored(shop)
    build.rebuild(shop.ports, parts=2, full=True)
    full = stored(shop)
    assert incremental.keys() == full.keys()
    for key, found in full.items():
        assert [p for p, _ in incremental[key]] == [p for p, _ in found], key
        assert [s for _, s in incremental[key]] == pytest.approx([s for _, s in found], rel=1e-5), key


def test_without_kept_counts_the_run_is_full(shop):
    build.rebuild(shop.ports, parts=2)
    shop.ports.recommendations.kept = None  # type: ignore[attr-defined]
    later(shop, hours=1)
    outcome = build.rebuild(shop.ports, parts=2)
    assert not outcome.incremental
    assert outcome.events == 3  # every event of the window again


def test_counts_from_a_full_rebuild_a_week_ago_are_counted_again(shop):
    build.rebuild(shop.ports, parts=2)
    later(shop, days=3)
    assert build.rebuild(shop.ports, parts=2).incremental
    later(shop, days=4)
    assert not build.rebuild(shop.ports, parts=2).incremental


def test_a_run_out_of_time_keeps_no_counts_so_the_next_is_full(shop):
    build.rebuild(shop.ports, parts=1, budget=-1.0)
    assert shop.ports.recommendations.get_counts() is None


def test_kept_counts_are_saved_again_only_once_a_day(shop):
    build.rebuild(shop.ports, parts=2)
    later(shop, hours=1)
    assert build.rebuild(shop.ports, parts=2).counts_write_units == 0  # the hourly run reuses the kept counts
    later(shop, hours=23)
    new_events(shop)
    outcome = build.rebuild(shop.ports, parts=2)
    assert outcome.incremental and outcome.counts_write_units > 0
