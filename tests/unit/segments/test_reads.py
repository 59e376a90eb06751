"""What a rule reads, what a contact change changed, and whether one affects the other."""

import copy
from decimal import Decimal

from chalicelib.contacts import aggregates
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.segments import reads
from chalicelib.segments.rules import parse_condition
from tests.unit.segments.support import NOW, contact, event


def reads_of(rule: dict, exclude: dict | None = None) -> reads.Reads:
    return reads.reads(parse_condition(rule), parse_condition(exclude, "exclude") if exclude else None)


def test_a_rule_reads_its_fields_events_orders_lists_segments_and_channels():
    found = reads_of(
        {
            "all": [
                {"field": "email", "op": "isSet"},
                {"event": "Product Viewed"},
                {"message": "clicked", "within": {"days": 3}},
                {"orders": "count", "op": "gt", "value": 0},
                {"inList": "vip"},
                {"channel": "sms"},
            ]
        },
        {"inSegment": "blocked"},
    )
    assert found == reads.Reads(
        fields=frozenset({"email"}),
        events=frozenset({"Product Viewed", "Message Clicked"}),
        orders=True,
        lists=frozenset({"vip"}),
        segments=frozenset({"blocked"}),
        channels=True,
        timed=True,
    )


def test_a_rule_without_windows_or_relative_dates_is_not_timed():
    assert not reads_of(
        {"all": [{"event": "Login"}, {"field": "fields.born", "op": "before", "value": "2000-01-01"}]}
    ).timed


def test_relative_dates_are_timed_and_read_the_time_zone():
    found = reads_of({"field": "fields.born", "op": "anniversaryWithin", "days": 3})
    assert found.timed and found.fields == {"fields.born", "timeZone"}


def test_a_profile_edit_changes_its_fields_only():
    before = contact(profile={"email": "a@b.c", "address": {"town": "Kyiv"}}, fields={"city": "Kyiv"})
    after = copy.deepcopy(before)
    after.profile["address"]["town"] = "Lviv"
    after.fields["city"] = "Lviv"
    change = reads.changed(before, after, [])
    assert (change.fields, change.channels, change.orders) == (frozenset({"address.town", "fields.city"}), False, False)


def test_a_new_email_changes_the_email_channel_too():
    before = contact()
    after = copy.deepcopy(before)
    after.profile["email"] = "a@b.c"
    assert reads.changed(before, after, []).channels


def test_a_consent_change_changes_channels():
    before = contact(profile={"email": "a@b.c"})
    after = copy.deepcopy(before)
    after.profile["consent"] = {"email": {"status": "unsubscribed"}}
    assert reads.changed(before, after, []).channels


def test_events_and_orders_are_changes():
    before = contact()
    after = copy.deepcopy(before)
    aggregates.apply_order(after.aggs, OrderDelta(1, Decimal(5), "USD", NOW))
    change = reads.changed(before, after, [event("Login", NOW)])
    assert (change.events, change.orders) == (frozenset({"Login"}), True)


def test_a_product_view_does_not_affect_a_birthday_segment():
    birthday = reads_of({"field": "fields.born", "op": "anniversaryWithin", "days": 3})
    before = contact()
    assert not reads.affects(birthday, reads.changed(before, copy.deepcopy(before), [event("Product Viewed", NOW)]))


def test_creation_deletion_and_merges_affect_every_segment():
    rule = reads_of({"inList": "vip"})
    before = contact()
    merged = copy.deepcopy(before)
    merged.merged.append("a#visitor")
    assert reads.affects(rule, reads.changed(None, before, []))
    assert reads.affects(rule, reads.changed(before, None, []))
    assert reads.affects(rule, reads.changed(before, merged, []))


def test_a_change_affects_a_rule_that_reads_what_changed():
    rule = reads_of({"event": "Login"})
    before = contact()
    assert reads.affects(rule, reads.changed(before, copy.deepcopy(before), [event("Login", NOW)]))
