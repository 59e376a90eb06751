"""Materialised counters: which conditions register them, their ids, folding, backfill, bounds and pruning."""

from datetime import UTC, datetime, timedelta

from chalicelib.segments import counter_specs, counters, filters
from chalicelib.segments.rules import parse_condition
from tests.unit.segments.support import NOW, event

DAY = timedelta(days=1)
SHOES = [{"property": "category", "op": "eq", "value": "Shoes"}]


def specs_of(rule: dict, window: int = 90) -> list[counter_specs.CounterSpec]:
    return counter_specs.specs(parse_condition(rule), None, window)


def test_a_condition_the_built_in_counters_answer_registers_none():
    assert specs_of({"event": "Login", "within": {"days": 30}}) == []


def test_filters_hours_periods_and_long_windows_register_counters():
    found = specs_of(
        {
            "all": [
                {"event": "Login", "where": SHOES, "within": {"days": 7}},
                {"event": "Login", "within": {"hours": 6}},
                {"event": "Login", "within": {"days": 91}},
                {"event": "Login", "between": {"from": "2026-01-01", "to": "2026-02-01"}},
                {"event": "Login"},
            ]
        }
    )
    assert [(s.unit, s.keep) for s in found] == [("day", 7), ("hour", 6), ("day", 91), ("period", 0), ("all", 0)]


def test_first_or_last_registers_an_all_time_counter_beside_the_count():
    found = specs_of({"event": "Login", "within": {"days": 3}, "last": {"olderThan": {"days": 1}}})
    assert [s.unit for s in found] == ["all"]  # the count is the built-in counters'


def test_a_message_condition_counts_its_event_on_its_channel():
    (spec,) = specs_of({"message": "opened", "channel": "sms", "within": {"hours": 3}})
    assert (spec.event, [f.model_dump() for f in spec.where]) == (
        "Message Opened",
        [{"property": "channel", "op": "eq", "value": "sms"}],
    )


def test_ids_ignore_filter_order_and_segments_share_the_longest_window():
    two = [{"property": "a", "op": "isSet"}, {"property": "b", "op": "isSet"}]
    short = specs_of({"event": "Login", "where": two, "within": {"days": 7}})
    long = specs_of({"event": "Login", "where": two[::-1], "within": {"days": 30}})
    combined = counter_specs.combine(short + long)
    assert short[0].id == long[0].id and [s.keep for s in combined] == [30]


def test_the_unit_is_part_of_the_id():
    days = specs_of({"event": "Login", "where": SHOES, "within": {"days": 2}})
    hours = specs_of({"event": "Login", "where": SHOES, "within": {"hours": 2}})
    assert days[0].id != hours[0].id


def day_spec(keep: int = 3) -> counter_specs.CounterSpec:
    return counter_specs.counter_spec(
        "Product Viewed", parse_condition({"event": "x", "where": SHOES}).where, "day", keep
    )


def test_fold_counts_matching_events_per_utc_day_in_the_counters_held():
    spec = day_spec()
    aggs = {counters.KEY: {spec.id: counters.empty_counter(spec)}}
    counters.fold(aggs, [spec], event("Product Viewed", NOW, category="Shoes"), NOW)
    counters.fold(aggs, [spec], event("Product Viewed", NOW, n=1, category="Hats"), NOW)
    counters.fold(aggs, [spec], event("Login", NOW, category="Shoes"), NOW)
    assert aggs[counters.KEY][spec.id] == {"k": 3, "b": {"20261127": 1}}


def test_fold_leaves_a_counter_the_contact_lacks_absent():
    aggs: dict = {counters.KEY: {}}
    counters.fold(aggs, [day_spec()], event("Product Viewed", NOW, category="Shoes"), NOW)
    assert aggs == {counters.KEY: {}}


def test_an_event_older_than_the_window_is_not_bucketed():
    spec = day_spec(3)
    counter = counters.backfill(spec, [event("Product Viewed", NOW - 3 * DAY, category="Shoes")], NOW)
    assert counter == {"k": 3, "b": {}}


def test_an_hour_counter_buckets_by_utc_hour():
    spec = counter_specs.counter_spec("Login", (), "hour", 2)
    counter = counters.backfill(spec, [event("Login", NOW - timedelta(minutes=1)), event("Login", NOW, n=1)], NOW)
    assert counter["b"] == {"2026112711": 1, "2026112712": 1}


def test_an_all_time_counter_keeps_the_count_and_the_first_and_last_times():
    spec = counter_specs.counter_spec("Login", (), "all")
    times = [NOW - 400 * DAY, NOW, NOW - DAY]
    counter = counters.backfill(spec, [event("Login", t, n=i) for i, t in enumerate(times)], NOW)
    assert counter == {"n": 3, "first": "2025-10-23T12:00:00.000000Z", "last": "2026-11-27T12:00:00.000000Z"}


def test_a_period_counter_counts_from_inclusive_to_exclusive():
    period = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    spec = counter_specs.counter_spec("Login", (), "period", period=period)
    counter = counters.backfill(spec, [event("Login", period[0]), event("Login", period[1], n=1)], NOW)
    assert counter == {"n": 1}


def test_history_starts_at_the_oldest_bucket_kept():
    assert counters.history_start(day_spec(3), NOW) == datetime(2026, 11, 25, tzinfo=UTC)
    assert counters.history_start(counter_specs.counter_spec("Login", (), "all"), NOW) == datetime(
        2000, 1, 1, tzinfo=UTC
    )


def test_prune_drops_old_buckets_and_counters_no_segment_registers():
    spec = day_spec(3)
    aggs = {counters.KEY: {spec.id: {"k": 3, "b": {"20261124": 5, "20261125": 1}}, "gone": {"n": 3}}}
    counters.prune(aggs, [spec], NOW)
    assert aggs == {counters.KEY: {spec.id: {"k": 3, "b": {"20261125": 1}}}}


def test_prune_drops_a_counter_kept_shorter_than_a_window_registered_since():
    spec = day_spec(3)
    aggs = {counters.KEY: {spec.id: {"k": 3, "b": {"20261125": 1}}}}
    counters.prune(aggs, [counter_specs.with_keep(spec, 10)], NOW)
    assert aggs == {counters.KEY: {}} and counters.missing(aggs, [spec]) == [spec]


def test_prune_shrinks_a_counter_when_the_longest_window_goes():
    spec = day_spec(10)
    aggs = {counters.KEY: {spec.id: {"k": 10, "b": {"20261120": 2, "20261127": 1}}}}
    counters.prune(aggs, [counter_specs.with_keep(spec, 3)], NOW)
    assert aggs[counters.KEY][spec.id] == {"k": 3, "b": {"20261127": 1}}


def test_a_list_property_matches_when_an_element_does():
    where = parse_condition({"event": "x", "where": [{"property": "tags", "op": "eq", "value": "sale"}]}).where
    assert filters.matches(where, event("x", NOW, tags=["new", "sale"]))


def test_a_numeric_text_property_compares_as_a_number():
    where = parse_condition({"event": "x", "where": [{"property": "price", "op": "gt", "value": 9}]}).where
    assert filters.matches(where, event("x", NOW, price="10.5"))
