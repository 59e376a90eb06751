"""Order transitions: only DELIVERED orders count; changes produce exact deltas."""

from decimal import Decimal

from chalicelib.orders.models import same_order, transition_delta


def order(status: str, total: str = "10", currency: str = "USD") -> dict:
    return {
        "externalOrderId": "o",
        "status": status,
        "totalCost": total,
        "currency": currency,
        "date": "2026-11-27T10:00:00+00:00",
    }


def test_a_new_delivered_order_counts_once():
    (delta,) = transition_delta(None, order("DELIVERED"))
    assert (delta.count, delta.revenue) == (1, Decimal("10"))


def test_an_initialized_order_does_not_count():
    assert transition_delta(None, order("INITIALIZED")) == []


def test_cancelling_a_delivered_order_takes_it_back():
    (delta,) = transition_delta(order("DELIVERED"), order("CANCELLED"))
    assert (delta.count, delta.revenue) == (-1, Decimal("-10"))


def test_a_new_total_on_a_delivered_order_adjusts_revenue_only():
    (delta,) = transition_delta(order("DELIVERED", "10"), order("DELIVERED", "12.5"))
    assert (delta.count, delta.revenue) == (0, Decimal("2.5"))


def test_a_currency_change_moves_revenue_between_currencies():
    deltas = transition_delta(order("DELIVERED", "10", "USD"), order("DELIVERED", "9", "EUR"))
    assert [(d.currency, d.count, d.revenue) for d in deltas] == [("USD", -1, Decimal("-10")), ("EUR", 1, Decimal("9"))]


def test_a_resent_order_is_the_same_order():
    stored = {**order("DELIVERED"), "ver": 3, "updatedAt": "x", "contact": "x#u", "pk": "o"}
    assert same_order(stored, {**order("DELIVERED"), "updatedAt": "y", "contact": "x#u"})
