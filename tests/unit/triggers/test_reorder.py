"""Regular demand: the reorder interval learned from a contact's orders (pure), what is due, and the daily scan on
the fakes publishing one ``Reorder Due`` per due product however often it runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.services import reorder as scan
from chalicelib.services.ingest import accept_orders
from chalicelib.triggers import reorder
from tests.fakes import NOW
from tests.unit.segments.world import World, days


def order(order_id: str, at: datetime, *products: str, status: str = "DELIVERED", who: str = "ann") -> dict[str, Any]:
    return {
        "externalOrderId": order_id,
        "externalId": who,
        "status": status,
        "date": at.isoformat(),
        "totalCost": "10",
        "currency": "EUR",
        "items": [{"externalItemId": p, "quantity": 1} for p in products],
    }


def every(gap_days: list[float], *products: str, start: datetime = NOW - days(100)) -> list[dict[str, Any]]:
    """Orders of ``products``: one at ``start`` and one after each gap."""
    found = [order("o-0", start, *products)]
    at = start
    for i, gap in enumerate(gap_days, 1):
        at += days(gap)
        found.append(order(f"o-{i}", at, *products))
    return found


def test_the_interval_is_the_median_gap_between_purchases():
    (coffee,) = reorder.learn(every([20, 21, 40], "coffee"))
    assert coffee.interval == days(21)
    assert coffee.last_purchase_at == NOW - days(100) + days(81)
    assert coffee.due_at == coffee.last_purchase_at + days(21)


def test_gaps_under_a_day_are_one_purchase():
    (coffee,) = reorder.learn(every([14, 0.5, 13.5], "coffee"))  # a second order half a day after the first
    assert coffee.interval == days(14)


def test_a_product_bought_once_or_on_one_day_learns_nothing():
    assert reorder.learn([order("o-1", NOW, "coffee")]) == []
    assert reorder.learn(every([0.2], "coffee")) == []


def test_cancelled_orders_and_abandoned_carts_are_not_purchases():
    orders = every([10], "coffee") + [
        order("o-c", NOW - days(80), "coffee", status="CANCELLED"),
        order("o-a", NOW - days(85), "coffee", status="ABANDONED_SHOPPING_CART"),
    ]
    (coffee,) = reorder.learn(orders)
    assert coffee.interval == days(10)


def test_each_product_learns_its_own_interval():
    orders = every([7, 7], "milk") + [order("o-t1", NOW - days(60), "tea"), order("o-t2", NOW - days(30), "tea")]
    learned = {d.product_id: d.interval for d in reorder.learn(orders)}
    assert learned == {"milk": days(7), "tea": days(30)}


def test_due_within_the_lead_days_and_not_a_whole_interval_overdue():
    def demand(due_in: float) -> reorder.Demand:
        return reorder.Demand("coffee", days(21), NOW + days(due_in) - days(21), NOW + days(due_in))

    assert reorder.due([demand(1.5)], NOW, 2) == [demand(1.5)]
    assert reorder.due([demand(-3)], NOW, 2) == [demand(-3)]
    assert reorder.due([demand(3)], NOW, 2) == []
    assert reorder.due([demand(-22)], NOW, 2) == []  # stopped buying it: not reminded every day


def test_the_event_id_is_the_same_only_for_the_same_contact_product_and_due_date():
    def demand(product: str, due_at: datetime) -> reorder.Demand:
        return reorder.Demand(product, days(21), due_at - days(21), due_at)

    due = demand("coffee", NOW + days(1))
    assert reorder.event_id("x#ann", due) == reorder.event_id("x#ann", demand("coffee", NOW + days(1)))
    assert reorder.event_id("x#ann", due) == reorder.event_id("x#ann", demand("coffee", NOW + timedelta(hours=30)))
    assert reorder.event_id("x#ann", due) != reorder.event_id("x#bob", due)
    assert reorder.event_id("x#ann", due) != reorder.event_id("x#ann", demand("tea", NOW + days(1)))
    assert reorder.event_id("x#ann", due) != reorder.event_id("x#ann", demand("coffee", NOW + days(2)))


def reorders_of(world: World, external_id: str) -> list[dict[str, Any]]:
    return [e.properties for e in world.activity(external_id) if e.type == reorder.REORDER_DUE]


def test_the_scan_publishes_one_reorder_due_per_due_product_however_often_it_runs():
    world = World()
    last = NOW - days(20)  # coffee every 21 days: due tomorrow
    coffee = [order(f"o-{i}", last - days(21 * i), "coffee") for i in range(3)]
    recent = [order(f"b-{i}", NOW - days(1) - days(21 * i), "coffee", who="bob") for i in range(3)]
    accept_orders(world.ports, coffee + recent)
    world.drain()

    assert scan.scan(world.ports, parts=2).due == 1
    world.drain()
    assert scan.scan(world.ports, parts=2).due == 1  # found again, and dropped by the consumer as a duplicate
    world.drain()

    (event,) = reorders_of(world, "ann")
    assert event == {
        "product_id": "coffee",
        "interval_days": 21,
        "last_purchase_at": last.isoformat(),
        "due_at": (last + days(21)).isoformat(),
    }
    assert reorders_of(world, "bob") == []  # just bought it
