"""Order conditions: measures per currency, windows over order days and their moments, first/last order times."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.contacts import aggregates
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.segments.evaluate import MissingData
from tests.unit.segments.support import NOW, contact, verdict

DAY = timedelta(days=1)


def buyer(*orders: tuple[str, str, datetime]):
    """A contact with delivered orders ``(total, currency, date)``."""
    record = contact()
    for total, currency, at in orders:
        aggregates.apply_order(record.aggs, OrderDelta(1, Decimal(total), currency, at))
    return record


def orders(rule: dict, record, now: datetime = NOW):
    return verdict(rule, record, now)


def test_count_counts_every_currency_unless_one_is_named():
    record = buyer(("10", "USD", NOW), ("20", "EUR", NOW))
    assert orders({"orders": "count", "op": "eq", "value": 2}, record).member
    assert orders({"orders": "count", "op": "eq", "value": 1, "currency": "eur"}, record).member


def test_revenue_without_a_currency_is_the_only_currencys():
    assert orders({"orders": "revenue", "op": "gte", "value": 30}, buyer(("10", "USD", NOW), ("20", "USD", NOW))).member


def test_revenue_without_a_currency_is_false_for_several_currencies_whatever_the_operator():
    record = buyer(("10", "USD", NOW), ("20", "EUR", NOW))
    assert not orders({"orders": "revenue", "op": "ne", "value": 0}, record).member
    assert orders({"orders": "revenue", "op": "eq", "value": 20, "currency": "EUR"}, record).member


def test_revenue_of_a_contact_without_orders_is_zero():
    assert orders({"orders": "revenue", "op": "eq", "value": 0}, contact()).member


def test_the_average_is_rounded_half_up_as_the_card_shows_it():
    record = buyer(("10", "USD", NOW), ("10", "USD", NOW), ("10.01", "USD", NOW))
    assert orders({"orders": "averageOrderValue", "op": "eq", "value": 10}, record).member


def test_there_is_no_average_without_orders_in_the_currency():
    record = buyer(("10", "USD", NOW))
    assert not orders({"orders": "averageOrderValue", "op": "lt", "value": 100, "currency": "EUR"}, record).member
    assert not orders({"orders": "averageOrderValue", "op": "lt", "value": 100}, contact()).member


def test_a_window_counts_orders_dated_today_and_the_days_before():
    record = buyer(("10", "USD", NOW - 2 * DAY), ("10", "USD", NOW - 3 * DAY))
    found = orders({"orders": "count", "op": "eq", "value": 1, "within": {"days": 3}}, record)
    assert (found.member, found.next_change) == (True, datetime(2026, 11, 28, tzinfo=UTC))


def test_revenue_in_a_window_takes_the_only_currency_ordered_in_it():
    record = buyer(("10", "USD", NOW - DAY), ("99", "EUR", NOW - 40 * DAY))
    found = orders({"orders": "revenue", "op": "eq", "value": 10, "within": {"days": 30}}, record)
    assert (found.member, found.explanation[0].used["value"]) == (True, 10)


def test_order_days_unknown_are_counted_again_from_the_orders_given():
    record = buyer(("10", "USD", NOW))
    del record.aggs["orders"]["days"]  # counted before order days existed
    rule = {"orders": "count", "op": "eq", "value": 1, "within": {"days": 7}}
    with pytest.raises(MissingData, match="order days"):
        orders(rule, record)
    found = verdict(rule, record, orders=lambda: [OrderDelta(1, Decimal("10"), "USD", NOW)])
    assert found.member


def test_last_order_older_than_flips_that_long_after_it():
    last = datetime(2026, 9, 1, 10, tzinfo=UTC)
    found = orders({"orders": "lastOrderAt", "ago": {"olderThan": {"days": 90}}}, buyer(("1", "USD", last)))
    assert (found.member, found.next_change) == (False, last + 90 * DAY)


def test_first_order_before_a_date_compares_its_local_date():
    record = buyer(("1", "USD", datetime(2026, 3, 1, 2, tzinfo=UTC)))
    record.profile["timeZone"] = "America/New_York"  # 28 February, 21:00
    assert orders({"orders": "firstOrderAt", "op": "before", "value": "2026-03-01"}, record).member


def test_no_order_time_is_empty_and_never_older_than_anything():
    assert orders({"orders": "lastOrderAt", "op": "isEmpty"}, contact()).member
    assert not orders({"orders": "lastOrderAt", "ago": {"olderThan": {"days": 1}}}, contact()).member
