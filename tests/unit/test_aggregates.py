"""Aggregates folding: counters, cart, views, orders, merge, pruning."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from chalicelib.contacts import aggregates
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.events.models import Event, Identity

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def event(type_: str, at: datetime = NOW, **props: object) -> Event:
    return Event(
        eventId=f"{type_}-{at.isoformat()}",
        type=type_,
        identity=Identity(externalId="u"),
        timestamp=at,
        receivedAt=at,
        properties=props,
    )


def test_events_count_per_type_and_day():
    aggs = aggregates.empty()
    aggregates.fold_event(aggs, event("Page Viewed"), 90, NOW)
    aggregates.fold_event(aggs, event("Page Viewed", NOW - timedelta(days=1)), 90, NOW)
    assert aggs["counters"]["Page Viewed"] == {"20261127": 1, "20261126": 1}


def test_events_older_than_the_window_are_not_counted():
    aggs = aggregates.empty()
    aggregates.fold_event(aggs, event("Page Viewed", NOW - timedelta(days=120)), 90, NOW)
    assert aggs["counters"] == {}
    assert aggs["firstSeenAt"].startswith("2026-07-30")


def test_a_late_older_cart_state_does_not_replace_the_newer_one():
    aggs = aggregates.empty()
    newer = event("Cart Updated", NOW, cart_id="c2", products=[{"product_id": "a", "quantity": 1}])
    older = event("Cart Updated", NOW - timedelta(minutes=5), cart_id="c1", products=[])
    aggregates.fold_event(aggs, newer, 90, NOW)
    aggregates.fold_event(aggs, older, 90, NOW)
    assert aggs["cart"]["cartId"] == "c2"


def test_product_added_and_removed_adjust_the_cart():
    aggs = aggregates.empty()
    aggregates.fold_event(aggs, event("Product Added", NOW, product_id="a", quantity=2), 90, NOW)
    aggregates.fold_event(aggs, event("Product Removed", NOW, product_id="a", quantity=1), 90, NOW)
    assert aggs["cart"]["items"] == [{"productId": "a", "quantity": 1}]


def test_recently_viewed_keeps_the_newest_view_once_per_product():
    aggs = aggregates.empty()
    aggregates.fold_event(aggs, event("Product Viewed", NOW - timedelta(hours=1), product_id="a"), 90, NOW)
    aggregates.fold_event(aggs, event("Product Viewed", NOW - timedelta(hours=2), product_id="b"), 90, NOW)
    aggregates.fold_event(aggs, event("Product Viewed", NOW, product_id="a"), 90, NOW)
    assert [v["productId"] for v in aggs["viewed"]] == ["a", "b"]


def test_delivered_orders_add_count_and_revenue_and_aov():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, OrderDelta(1, Decimal("10.50"), "USD", NOW))
    aggregates.apply_order(aggs, OrderDelta(1, Decimal("20"), "USD", NOW))
    summary = aggregates.summary(aggs, NOW)
    assert (summary["orderCount"], summary["revenue"], summary["averageOrderValue"]) == (
        2,
        {"USD": "30.50"},
        {"USD": "15.25"},
    )


def test_merge_adds_counters_and_keeps_the_newest_cart():
    known = aggregates.empty()
    anon = aggregates.empty()
    aggregates.fold_event(known, event("Page Viewed"), 90, NOW)
    aggregates.fold_event(anon, event("Page Viewed"), 90, NOW)
    aggregates.fold_event(anon, event("Cart Updated", NOW, cart_id="c", products=[]), 90, NOW)
    merged = aggregates.merge(known, anon)
    assert merged["counters"]["Page Viewed"]["20261127"] == 2
    assert merged["cart"]["cartId"] == "c"


def test_prune_drops_days_outside_the_window():
    aggs = aggregates.empty()
    aggs["counters"] = {"X": {"20260101": 3, "20261120": 1}, "Y": {"20250101": 1}}
    aggregates.prune(aggs, 90, NOW)
    assert aggs["counters"] == {"X": {"20261120": 1}}


def test_category_events_are_also_counted_by_category():
    aggs = aggregates.empty()
    aggregates.fold_event(aggs, event("Product List Viewed", NOW, category="shoes"), 90, NOW)
    assert aggs["counters"]["Product List Viewed|category=shoes"] == {"20261127": 1}


def test_filtered_counters_are_capped_per_type():
    aggs = aggregates.empty()
    for i in range(15):
        aggregates.fold_event(aggs, event("Product List Viewed", NOW - timedelta(seconds=i), category=f"c{i}"), 90, NOW)
    assert (
        sum(k.startswith("Product List Viewed|category=") for k in aggs["counters"]) == aggregates.MAX_FILTERED_PER_TYPE
    )


# --- orders: per currency, and first/last order times of the orders that count -----------------------------------

DAY = timedelta(days=1)


def delivered(total: str, currency: str = "USD", at: datetime = NOW) -> OrderDelta:
    return OrderDelta(1, Decimal(total), currency, at)


def test_each_currency_averages_over_its_own_orders():
    aggs = aggregates.empty()
    for delta in (delivered("100"), delivered("50", "EUR"), delivered("300")):
        aggregates.apply_order(aggs, delta)
    summary = aggregates.summary(aggs, NOW)
    assert (summary["orderCount"], summary["orderCounts"], summary["averageOrderValue"]) == (
        3,
        {"EUR": 1, "USD": 2},
        {"USD": "200.00", "EUR": "50.00"},
    )


def test_a_currency_whose_last_order_goes_disappears():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("100"))
    aggregates.apply_order(aggs, delivered("50", "EUR"))
    aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-50"), "EUR", None, left=NOW))
    summary = aggregates.summary(aggs, NOW)
    assert (summary["orderCounts"], summary["revenue"], summary["averageOrderValue"]) == (
        {"USD": 1},
        {"USD": "100.00"},
        {"USD": "100.00"},
    )


def test_the_average_is_rounded_half_up_to_the_minor_units():
    aggs = aggregates.empty()
    for total in ("10", "10", "10.01"):
        aggregates.apply_order(aggs, delivered(total))
    assert aggregates.summary(aggs, NOW)["averageOrderValue"] == {"USD": "10.00"}


def test_removing_the_first_order_says_the_bounds_are_lost():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("1", at=NOW - DAY))
    aggregates.apply_order(aggs, delivered("1", at=NOW))
    assert aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-1"), "USD", None, left=NOW - DAY))


def test_removing_an_order_between_the_bounds_keeps_them():
    aggs = aggregates.empty()
    for days in (0, 1, 2):
        aggregates.apply_order(aggs, delivered("1", at=NOW - days * DAY))
    assert not aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-1"), "USD", None, left=NOW - DAY))
    assert (aggs["orders"]["firstAt"], aggs["orders"]["lastAt"]) == (
        "2026-11-25T12:00:00.000Z",
        "2026-11-27T12:00:00.000Z",
    )


def test_removing_the_last_counting_order_clears_the_bounds():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("1"))
    aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-1"), "USD", None, left=NOW))
    assert "firstAt" not in aggs["orders"] and "lastAt" not in aggs["orders"]


def test_the_bounds_are_set_from_the_counting_orders_dates():
    aggs = aggregates.empty()
    aggregates.set_order_bounds(aggs, [NOW, NOW - 3 * DAY, NOW - DAY])
    assert (aggs["orders"]["firstAt"], aggs["orders"]["lastAt"]) == (
        "2026-11-24T12:00:00.000Z",
        "2026-11-27T12:00:00.000Z",
    )


def test_a_recount_starts_from_scratch():
    aggs = aggregates.empty()
    aggs["orders"] = {"count": 5, "revenue": {"USD": "999", "EUR": "1"}}  # stored before per-currency counts
    aggregates.recount_orders(aggs, [delivered("10"), delivered("20", "EUR")])
    assert aggs["orders"] == {
        "count": 2,
        "counts": {"USD": 1, "EUR": 1},
        "revenue": {"USD": "10", "EUR": "20"},
        "firstAt": "2026-11-27T12:00:00.000Z",
        "lastAt": "2026-11-27T12:00:00.000Z",
        "days": {"20261127": {"USD": {"n": 1, "r": "10"}, "EUR": {"n": 1, "r": "20"}}},
    }


def test_counts_stored_before_per_currency_counts_are_known_for_one_currency():
    aggs = {**aggregates.empty(), "orders": {"count": 3, "revenue": {"EUR": "412.70"}}}
    assert aggregates.order_counts(aggs) == {"EUR": 3}


def test_counts_stored_before_per_currency_counts_are_unknown_for_several_currencies():
    aggs = {**aggregates.empty(), "orders": {"count": 3, "revenue": {"EUR": "412.70", "USD": "10"}}}
    summary = aggregates.summary(aggs, NOW)
    assert (aggregates.order_counts(aggs), summary["revenue"], summary["averageOrderValue"]) == (
        None,
        {"EUR": "412.70", "USD": "10.00"},
        {},
    )


def test_merge_adds_order_counts_per_currency():
    known, anon = aggregates.empty(), aggregates.empty()
    aggregates.apply_order(known, delivered("10"))
    aggregates.apply_order(anon, delivered("5"))
    aggregates.apply_order(anon, delivered("7", "EUR", NOW - DAY))
    merged = aggregates.merge(known, anon)
    assert (merged["orders"]["count"], merged["orders"]["counts"], merged["orders"]["firstAt"]) == (
        3,
        {"USD": 2, "EUR": 1},
        "2026-11-26T12:00:00.000Z",
    )


# --- order days (segments' order windows) and segment counters -------------------------------------------------


def test_order_days_count_and_sum_each_currency_on_the_orders_utc_day():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("10", at=datetime(2026, 11, 27, 1, tzinfo=timezone(timedelta(hours=3)))))
    aggregates.apply_order(aggs, delivered("5"))
    aggregates.apply_order(aggs, delivered("7", "EUR"))
    assert aggregates.order_days(aggs) == {
        "20261126": {"USD": {"n": 1, "r": "10"}},
        "20261127": {"USD": {"n": 1, "r": "5"}, "EUR": {"n": 1, "r": "7"}},
    }


def test_a_cancelled_order_leaves_its_day():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("10", at=NOW - DAY))
    aggregates.apply_order(aggs, delivered("5"))
    aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-10"), "USD", None, left=NOW - DAY))
    assert aggregates.order_days(aggs) == {"20261127": {"USD": {"n": 1, "r": "5"}}}


def test_an_order_moved_to_another_day_takes_its_revenue_there():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("10", at=NOW - DAY))
    aggregates.apply_order(aggs, OrderDelta(0, Decimal("2"), "USD", NOW, left=NOW - DAY, left_revenue=Decimal("10")))
    assert aggregates.order_days(aggs) == {"20261127": {"USD": {"n": 1, "r": "12"}}}


def test_a_new_total_on_the_same_day_changes_that_days_revenue():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("10"))
    aggregates.apply_order(aggs, OrderDelta(0, Decimal("-3"), "USD", NOW, left=NOW - timedelta(hours=1)))
    assert aggregates.order_days(aggs) == {"20261127": {"USD": {"n": 1, "r": "7"}}}


def test_order_days_are_unknown_for_orders_counted_before_they_existed_until_a_recount():
    aggs = {**aggregates.empty(), "orders": {"count": 1, "counts": {"USD": 1}, "revenue": {"USD": "3"}}}
    aggregates.apply_order(aggs, delivered("10"))
    assert aggregates.order_days(aggs) is None
    aggregates.recount_orders(aggs, [delivered("3", at=NOW - DAY), delivered("10")])
    assert aggregates.order_days(aggs) == {
        "20261126": {"USD": {"n": 1, "r": "3"}},
        "20261127": {"USD": {"n": 1, "r": "10"}},
    }


def test_order_days_older_than_366_days_are_pruned():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("1", at=NOW - 366 * DAY))
    aggregates.apply_order(aggs, delivered("1", at=NOW - 365 * DAY))
    aggregates.prune(aggs, 90, NOW)
    assert list(aggregates.order_days(aggs) or {}) == ["20251127"]


def test_removing_an_order_from_a_pruned_day_leaves_no_trace():
    aggs = aggregates.empty()
    aggregates.apply_order(aggs, delivered("1", at=NOW - 400 * DAY))
    aggregates.apply_order(aggs, delivered("1"))
    aggregates.prune(aggs, 90, NOW)
    aggregates.apply_order(aggs, OrderDelta(-1, Decimal("-1"), "USD", None, left=NOW - 400 * DAY))
    assert aggregates.order_days(aggs) == {"20261127": {"USD": {"n": 1, "r": "1"}}}


def test_merge_adds_order_days():
    known, anon = aggregates.empty(), aggregates.empty()
    aggregates.apply_order(known, delivered("10"))
    aggregates.apply_order(anon, delivered("5"))
    assert aggregates.order_days(aggregates.merge(known, anon)) == {"20261127": {"USD": {"n": 2, "r": "15"}}}


def test_merge_with_unknown_order_days_makes_them_unknown():
    known, legacy = aggregates.empty(), {**aggregates.empty(), "orders": {"count": 1, "revenue": {"USD": "3"}}}
    aggregates.apply_order(known, delivered("10"))
    assert aggregates.order_days(aggregates.merge(known, legacy)) is None


def test_merge_adds_segment_counters_both_hold_and_drops_the_others():
    known = {
        **aggregates.empty(),
        "segmentCounters": {
            "d": {"k": 7, "b": {"20261127": 1}},
            "a": {"n": 2, "first": "2026-01-01T00:00:00.000000Z", "last": "2026-05-01T00:00:00.000000Z"},
            "only-mine": {"n": 1},
        },
    }
    other = {
        **aggregates.empty(),
        "segmentCounters": {
            "d": {"k": 3, "b": {"20261127": 2, "20261126": 1}},
            "a": {"n": 1, "first": "2025-01-01T00:00:00.000000Z", "last": "2026-02-01T00:00:00.000000Z"},
        },
    }
    assert aggregates.merge(known, other)["segmentCounters"] == {
        "d": {"k": 3, "b": {"20261127": 3, "20261126": 1}},
        "a": {"n": 3, "first": "2025-01-01T00:00:00.000000Z", "last": "2026-05-01T00:00:00.000000Z"},
    }


def test_merging_a_profile_without_segment_counters_drops_the_contacts():
    known = {**aggregates.empty(), "segmentCounters": {"a": {"n": 2}}}
    assert "segmentCounters" not in aggregates.merge(known, aggregates.empty())
