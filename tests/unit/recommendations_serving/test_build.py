"""The scheduled rebuild on the fakes: it reads every contact's and visitor's recent events and the catalog,
writes the lists the models build with their build time, reports what it read and wrote, and stops reading at its
budget."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from chalicelib.clock import iso
from chalicelib.services.recommendations import build
from tests.unit.recommendations_serving.shop import Shop


@pytest.fixture
def shop() -> Shop:
    found = Shop()
    found.product("beans", "Coffee")
    found.product("grinder", "Coffee")
    found.product("mug", "Kitchen")
    found.product("tea", "Tea")
    return found


def ids(found) -> list[str]:
    return [s.product_id for s in found or []]


def test_a_rebuild_writes_the_models_lists_and_their_build_time(shop):
    ann, bob = shop.contact("ann"), shop.contact("bob")
    shop.bought(ann, "beans", "grinder")
    shop.bought(bob, "beans", "grinder", "mug")
    shop.viewed(bob, "tea")
    build.rebuild(shop.ports, parts=2)
    store = shop.ports.recommendations
    assert ids(store.get("bestsellers", "*"))[:2] == ["beans", "grinder"]
    assert ids(store.get("bestsellers", "cat:Coffee")) == ["beans", "grinder"]
    assert ids(store.get("boughtTogether", "beans"))[0] == "grinder"
    assert store.built_at("boughtTogether") == iso(shop.now)


def test_a_rebuild_reads_anonymous_visitors_but_not_merged_aliases(shop):
    visitor = shop.visitor("v-1")
    shop.viewed(visitor, "beans")
    shop.viewed(visitor, "mug")
    ann = shop.contact("ann")
    alias = shop.merge("v-2", ann)
    shop.viewed(alias, "tea")  # a merged profile's events moved to its contact; any left behind are not read
    shop.viewed(alias, "grinder")
    outcome = build.rebuild(shop.ports, parts=2)
    assert (outcome.contacts, outcome.events) == (2, 2)
    assert ids(shop.ports.recommendations.get("viewedTogether", "beans")) == ["mug"]
    assert shop.ports.recommendations.get("viewedTogether", "tea") is None


def test_events_before_the_window_are_not_read(shop):
    ann = shop.contact("ann")
    shop.bought(ann, "beans", "mug", ago=timedelta(days=build.WINDOW_DAYS + 1))
    shop.bought(ann, "tea", ago=timedelta(days=1))
    outcome = build.rebuild(shop.ports, parts=1)
    assert (outcome.events, outcome.interactions) == (1, 1)
    assert shop.ports.recommendations.get("boughtTogether", "beans") is None


def test_a_rebuild_reports_what_it_read_and_wrote_in_the_log(shop, caplog):
    ann = shop.contact("ann")
    shop.bought(ann, "beans", "grinder")
    shop.viewed(ann, "mug")
    with caplog.at_level(logging.INFO, logger="orbit.recommendations"):
        outcome = build.rebuild(shop.ports, parts=2)
    assert (outcome.contacts, outcome.events, outcome.interactions, outcome.products) == (1, 2, 3, 4)
    assert outcome.complete and outcome.lists == shop.ports.recommendations.writes
    assert outcome.write_units >= outcome.lists > 0
    (record,) = [r for r in caplog.records if r.message == "recommendations rebuilt"]
    assert (record.write_units, record.lists, record.complete) == (outcome.write_units, outcome.lists, True)


def test_reading_stops_at_the_budget_and_the_run_says_so(shop, caplog):
    shop.bought(shop.contact("ann"), "beans", "grinder")
    with caplog.at_level(logging.INFO, logger="orbit.recommendations"):
        outcome = build.rebuild(shop.ports, parts=1, budget=-1.0)
    assert (outcome.complete, outcome.contacts) == (False, 0)
    assert [r.levelname for r in caplog.records if "rebuilt" in r.message] == ["WARNING"]


def test_a_shop_without_events_still_gets_its_catalogs_lists(shop):
    outcome = build.rebuild(shop.ports, parts=2)
    assert outcome.interactions == 0
    assert ids(shop.ports.recommendations.get("similar", "beans"))[0] == "grinder"
