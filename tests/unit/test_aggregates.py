"""Aggregates folding: counters, cart, views, orders, merge, pruning."""

from datetime import UTC, datetime, timedelta
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
        {"USD": 30.5},
        {"USD": 15.25},
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
