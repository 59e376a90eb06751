"""Event and message conditions: windows and their moments, filters, first/last, and where counts come from."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.contacts import aggregates
from chalicelib.segments import counter_specs, counters
from chalicelib.segments.evaluate import MissingData
from chalicelib.segments.rules import parse_condition
from tests.unit.segments.support import NOW, contact, event, verdict

DAY = timedelta(days=1)


def folded(*events):
    """A contact whose built-in counters hold ``events`` (folded at NOW)."""
    record = contact()
    for e in events:
        aggregates.fold_event(record.aggs, e, 90, NOW)
    return record


def test_a_days_window_counts_today_and_the_days_before():
    record = folded(event("Login", NOW - 6 * DAY), event("Login", NOW - 7 * DAY))
    found = verdict({"event": "Login", "within": {"days": 7}}, record)
    assert found.explanation[0].used == {
        "event": "Login",
        "count": 1,
        "from": "2026-11-21T00:00:00.000Z",
        "to": "2026-11-28T00:00:00.000Z",
        "source": "counters",
    }


def test_a_count_leaves_the_window_at_the_utc_midnight_its_day_goes():
    record = folded(event("Login", NOW - 6 * DAY))
    found = verdict({"event": "Login", "within": {"days": 7}}, record)
    assert (found.member, found.next_change) == (True, datetime(2026, 11, 28, tzinfo=UTC))


def test_the_moment_is_when_the_comparison_flips_not_when_any_bucket_leaves():
    record = folded(*(event("Login", NOW - d * DAY, n=i) for i, d in enumerate((5, 4, 4, 1))))
    rule = {"event": "Login", "count": {"op": "gte", "value": 2}, "within": {"days": 7}}
    # 4 views; losing the one of 5 days ago leaves 3, losing those of 4 days ago leaves 1: that flips
    assert verdict(rule, record).next_change == datetime(2026, 11, 30, tzinfo=UTC)


def test_a_count_that_no_window_move_can_flip_has_no_moment():
    record = folded(event("Login", NOW - DAY))
    rule = {"event": "Login", "count": {"op": "lte", "value": 5}, "within": {"days": 7}}
    assert verdict(rule, record).next_change is None


def test_an_event_ahead_of_now_counts_once_its_day_begins():
    late_evening = datetime(2026, 11, 27, 23, 58, tzinfo=UTC)
    record = folded(event("Login", late_evening + timedelta(minutes=4)))
    found = verdict({"event": "Login", "within": {"days": 1}}, record, late_evening)
    assert (found.member, found.next_change) == (False, datetime(2026, 11, 28, tzinfo=UTC))


def test_an_hours_window_counts_the_current_hour_and_the_hours_before():
    events = [event("Login", NOW - timedelta(hours=1, minutes=30))]
    found = verdict({"event": "Login", "within": {"hours": 3}}, events=events)
    assert (found.member, found.next_change) == (True, NOW + timedelta(hours=1))
    assert found.explanation[0].used["from"] == "2026-11-27T10:00:00.000Z"


def test_a_period_counts_from_inclusive_to_exclusive_and_time_never_changes_it():
    events = [event("Login", datetime(2026, 11, 1, tzinfo=UTC)), event("Login", datetime(2026, 11, 2, tzinfo=UTC))]
    rule = {"event": "Login", "count": {"op": "eq", "value": 1}, "between": {"from": "2026-11-01", "to": "2026-11-02"}}
    found = verdict(rule, events=events)
    assert (found.member, found.next_change) == (True, None)


def test_where_filters_select_the_events_counted():
    events = [
        event("Product Viewed", NOW - DAY, category="Shoes", price=40),
        event("Product Viewed", NOW - DAY, n=1, category="Hats", price=40),
        event("Product Viewed", NOW - DAY, n=2, category="Shoes", price="12.5"),
    ]
    rule = {
        "event": "Product Viewed",
        "where": [
            {"property": "category", "op": "eq", "value": "Shoes"},
            {"property": "price", "op": "gt", "value": 20},
        ],
        "count": {"op": "eq", "value": 1},
    }
    assert verdict(rule, events=events).member


def test_a_nested_property_is_read_with_a_dot():
    events = [event("Order Completed", NOW, order={"shipping": {"country": "UA"}})]
    rule = {"event": "Order Completed", "where": [{"property": "order.shipping.country", "op": "eq", "value": "UA"}]}
    assert verdict(rule, events=events).member


def test_a_missing_property_passes_ne():
    rule = {"event": "Login", "where": [{"property": "device", "op": "ne", "value": "ios"}]}
    assert verdict(rule, events=[event("Login", NOW)]).member


def test_last_older_than_holds_from_exactly_that_long_after_the_last_event():
    last = NOW - timedelta(days=2, hours=3)
    rule = {"event": "Login", "last": {"olderThan": {"days": 3}}}
    found = verdict(rule, events=[event("Login", last - DAY), event("Login", last)])
    assert (found.member, found.next_change) == (False, last + 3 * DAY)
    assert verdict(rule, now=last + 3 * DAY, events=[event("Login", last)]).member


def test_first_newer_than_stops_holding_that_long_after_the_first_event():
    first = NOW - timedelta(hours=1)
    found = verdict({"event": "Login", "first": {"newerThan": {"hours": 2}}}, events=[event("Login", first)])
    assert (found.member, found.next_change) == (True, first + timedelta(hours=2))


def test_first_or_last_without_any_event_is_false():
    assert not verdict({"event": "Login", "last": {"olderThan": {"days": 3}}}, events=[]).member


def test_first_and_last_ignore_the_window_but_the_count_must_hold_too():
    rule = {"event": "Login", "within": {"days": 1}, "last": {"olderThan": {"hours": 1}}}
    days_ago, hours_ago = event("Login", NOW - 2 * DAY), event("Login", NOW - 2 * timedelta(hours=1))
    assert not verdict(rule, folded(days_ago), events=[days_ago]).member  # no login today
    assert verdict(rule, folded(hours_ago), events=[hours_ago]).member


def test_a_message_condition_counts_its_event_type_on_its_channel():
    events = [event("Message Clicked", NOW, channel="sms"), event("Message Clicked", NOW, n=1, channel="email")]
    rule = {"message": "clicked", "channel": "email", "count": {"op": "eq", "value": 1}, "within": {"days": 30}}
    assert verdict(rule, events=events).member


def test_a_window_longer_than_the_built_in_counters_reads_a_materialised_counter():
    old = event("Login", NOW - 100 * DAY)
    found = verdict({"event": "Login", "within": {"days": 120}}, folded(old), events=[old])
    assert (found.member, found.explanation[0].used["source"]) == (True, "history")


def test_a_counter_the_contact_holds_is_read_without_history():
    rule = {"event": "Login", "where": [{"property": "device", "op": "eq", "value": "ios"}], "within": {"days": 7}}
    spec = counter_specs.specs(parse_condition(rule), None, 90)[0]
    record = contact(aggs={**aggregates.empty(), counters.KEY: {spec.id: {"k": 7, "b": {"20261126": 2}}}})
    found = verdict(rule, record)  # no history given
    assert (found.member, found.explanation[0].used["source"], found.explanation[0].used["count"]) == (
        True,
        "counter",
        2,
    )


def test_a_counter_kept_for_a_shorter_window_is_computed_again_from_history():
    rule = {"event": "Login", "where": [{"property": "device", "op": "isSet"}], "within": {"days": 30}}
    spec = counter_specs.specs(parse_condition(rule), None, 90)[0]
    record = contact(aggs={**aggregates.empty(), counters.KEY: {spec.id: {"k": 7, "b": {}}}})
    found = verdict(rule, record, events=[event("Login", NOW - 20 * DAY, device="ios")])
    assert (found.member, found.explanation[0].used["source"]) == (True, "history")


def test_a_condition_needing_a_counter_without_history_is_a_clear_error():
    rule = {"event": "Login", "within": {"hours": 2}}
    with pytest.raises(MissingData, match=r"rule: the contact holds no counter \w+ \('Login', hour\)"):
        verdict(rule)
