"""OrderStore: orders by externalOrderId with the optimistic version ``ver``, undo, per-contact listing."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Conflict
from chalicelib.ports import Order, OrderStore


def order(order_id: str = "o-1", status: str = "INITIALIZED", contact: str = "x#u-1", **extra: Any) -> Order:
    return {
        "externalOrderId": order_id,
        "status": status,
        "contact": contact,
        "date": "2026-11-27T10:00:00+00:00",
        "totalCost": "25.00",
        "currency": "USD",
        "items": [{"externalItemId": "sku-1", "quantity": 2, "cost": "12.50"}],
        **extra,
    }


def stored(orders: OrderStore, written: Order) -> Order:
    orders.save(written, None)
    loaded = orders.load(written["externalOrderId"])
    assert loaded is not None
    return loaded


def test_an_unknown_order_loads_as_none(orders: OrderStore) -> None:
    assert orders.load("o-missing") is None


def test_a_new_order_is_stored_at_ver_1_and_loads_back_as_written(orders: OrderStore) -> None:
    written = order(phone=None)

    orders.save(written, None)

    assert written["ver"] == 1
    loaded = orders.load("o-1")
    assert loaded is not None
    assert {k: v for k, v in loaded.items() if k != "pk"} == {
        k: v for k, v in written.items() if k not in ("pk", "phone")
    }


def test_saving_over_the_loaded_version_bumps_ver(orders: OrderStore) -> None:
    old = stored(orders, order())
    new = order(status="DELIVERED")

    orders.save(new, old)

    loaded = orders.load("o-1")
    assert new["ver"] == 2 and loaded is not None and loaded["status"] == "DELIVERED" and loaded["ver"] == 2


def test_creating_an_order_that_exists_is_a_conflict(orders: OrderStore) -> None:
    stored(orders, order())

    with pytest.raises(Conflict):
        orders.save(order(status="CANCELLED"), None)

    loaded = orders.load("o-1")
    assert loaded is not None and loaded["status"] == "INITIALIZED"


def test_saving_over_a_stale_version_is_a_conflict_and_writes_nothing(orders: OrderStore) -> None:
    old = stored(orders, order())
    orders.save(order(status="IN_PROGRESS"), old)

    with pytest.raises(Conflict):
        orders.save(order(status="CANCELLED"), old)

    loaded = orders.load("o-1")
    assert loaded is not None and loaded["status"] == "IN_PROGRESS" and loaded["ver"] == 2


def test_restoring_a_first_write_removes_the_order(orders: OrderStore) -> None:
    written = order()
    orders.save(written, None)

    orders.restore(None, written)

    assert orders.load("o-1") is None
    assert orders.for_contact("x#u-1") == []


def test_restoring_an_update_puts_the_previous_version_back(orders: OrderStore) -> None:
    # GIVEN an order updated by a batch whose contact write then failed
    old = stored(orders, order())
    written = order(status="DELIVERED")
    orders.save(written, old)
    # WHEN the update is undone
    orders.restore(old, written)
    # THEN the order is as it was, and the retry can save over it again
    assert orders.load("o-1") == old
    orders.save(order(status="DELIVERED"), old)


def test_restoring_never_overwrites_a_later_write(orders: OrderStore) -> None:
    old = stored(orders, order())
    written = order(status="IN_PROGRESS")
    orders.save(written, old)
    later = orders.load("o-1")
    assert later is not None
    orders.save(order(status="DELIVERED"), later)

    with pytest.raises(Conflict):
        orders.restore(old, written)

    loaded = orders.load("o-1")
    assert loaded is not None and loaded["status"] == "DELIVERED"


def test_for_contact_lists_the_contacts_orders_by_id(orders: OrderStore) -> None:
    for order_id, contact in (("o-3", "x#u-1"), ("o-1", "x#u-1"), ("o-2", "x#u-2"), ("o-0", "x#u-1")):
        orders.save(order(order_id, contact=contact), None)

    found = orders.for_contact("x#u-1")

    assert [o["externalOrderId"] for o in found] == ["o-0", "o-1", "o-3"]
    assert all(o["ver"] == 1 and o["contact"] == "x#u-1" for o in found)
    assert orders.for_contact("x#nobody") == []


def test_a_deleted_order_is_gone(orders: OrderStore) -> None:
    orders.delete(stored(orders, order()))

    assert orders.load("o-1") is None
    assert orders.for_contact("x#u-1") == []


def test_restoring_a_first_write_never_deletes_a_later_write(orders: OrderStore) -> None:
    # GIVEN an order created by a batch whose contact write failed, then updated by another batch
    written = order()
    orders.save(written, None)
    later = orders.load("o-1")
    assert later is not None
    orders.save(order(status="DELIVERED"), later)
    # WHEN the first batch undoes its creation
    with pytest.raises(Conflict):
        orders.restore(None, written)
    # THEN the later write stands
    loaded = orders.load("o-1")
    assert loaded is not None and loaded["status"] == "DELIVERED"
