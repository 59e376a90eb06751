"""Order transitions: only DELIVERED orders count; changes produce exact deltas."""

from datetime import UTC, datetime
from decimal import Decimal

from chalicelib.orders.models import (
    OrderIn,
    OrdersRequest,
    order_time,
    same_order,
    shown,
    supersedes,
    transition_delta,
)
from chalicelib.orders.money import money


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
    stored = {**order("DELIVERED"), "ver": 3, "processedAt": "x", "contact": "x#u", "pk": "o", "prev": {}}
    assert same_order(stored, order("DELIVERED"))


# --- which message is the order's state (docs/data-model.md, "Orders") -----------------------------------------


def at(status: str, date: str = "2026-11-27T10:00:00+00:00", **extra: object) -> dict:
    return {**order(status), "date": date, **extra}


def stored(message: dict, **extra: object) -> dict:
    return {**message, "ver": 1, "pk": "o", "contact": "x#u", "processedAt": "2026-11-27T12:00:00.000Z", **extra}


def test_an_older_message_does_not_supersede_a_newer_state():
    old = stored(at("DELIVERED", "2026-11-27T12:00:00+00:00"))
    assert not supersedes(at("INITIALIZED", "2026-11-27T09:00:00+00:00"), old)


def test_an_older_delivered_does_not_undo_a_cancellation():
    old = stored(at("CANCELLED", "2026-11-27T12:00:00+00:00"))
    assert not supersedes(at("DELIVERED", "2026-11-27T09:00:00+00:00"), old)


def test_a_newer_message_supersedes_a_terminal_status():
    old = stored(at("DELIVERED", updatedAt="2026-11-27T11:00:00+00:00"))
    assert supersedes(at("CANCELLED", updatedAt="2026-11-27T12:00:00+00:00"), old)


def test_updated_at_is_the_order_time_when_sent():
    old = stored(at("DELIVERED", updatedAt="2026-11-27T12:00:00+00:00"))
    assert not supersedes(at("CANCELLED", updatedAt="2026-11-27T11:00:00+00:00"), old)


def test_at_an_equal_time_a_terminal_status_wins_either_way():
    assert not supersedes(at("IN_PROGRESS"), stored(at("DELIVERED")))
    assert supersedes(at("DELIVERED"), stored(at("IN_PROGRESS")))


def test_at_an_equal_time_cancelled_wins_over_delivered_either_way():
    assert not supersedes(at("DELIVERED"), stored(at("CANCELLED")))
    assert supersedes(at("CANCELLED"), stored(at("DELIVERED")))


def test_at_an_equal_time_the_same_status_again_supersedes():
    assert supersedes({**at("DELIVERED"), "totalCost": "9"}, stored(at("DELIVERED")))


def test_the_order_time_is_updated_at_else_date():
    assert order_time(at("DELIVERED")) == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert order_time(at("DELIVERED", updatedAt="2026-11-28T08:00:00Z")) == datetime(2026, 11, 28, 8, tzinfo=UTC)


def test_a_version_stored_before_processed_at_keeps_its_date_as_order_time():
    legacy = {**at("DELIVERED"), "ver": 2, "updatedAt": "2026-11-30T00:00:00.000Z"}  # the processing time
    assert order_time(legacy) == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_a_resend_with_a_newer_updated_at_is_not_the_same_order():
    old = stored(at("DELIVERED", updatedAt="2026-11-27T11:00:00+00:00"))
    assert not same_order(old, at("DELIVERED", updatedAt="2026-11-27T12:00:00+00:00"))


def test_a_resend_of_a_version_stored_before_processed_at_is_the_same_order():
    legacy = {**order("DELIVERED"), "ver": 2, "pk": "o", "contact": "x#u", "updatedAt": "2026-11-27T12:00:00.000Z"}
    assert same_order(legacy, order("DELIVERED"))


# --- first and last order times -------------------------------------------------------------------------------


def test_cancelling_says_which_date_leaves_the_counting_orders():
    (delta,) = transition_delta(order("DELIVERED"), order("CANCELLED"))
    assert (delta.at, delta.left) == (None, datetime(2026, 11, 27, 10, tzinfo=UTC))


def test_a_new_date_on_a_delivered_order_is_a_delta_of_its_own():
    (delta,) = transition_delta(order("DELIVERED"), at("DELIVERED", "2026-11-28T10:00:00+00:00"))
    assert (delta.count, delta.revenue, delta.at, delta.left) == (
        0,
        Decimal(0),
        datetime(2026, 11, 28, 10, tzinfo=UTC),
        datetime(2026, 11, 27, 10, tzinfo=UTC),
    )


# --- money ------------------------------------------------------------------------------------------------------


def test_money_is_shown_in_the_currencys_minor_units():
    assert (money("59", "USD"), money("1200", "JPY"), money("1.25", "KWD")) == ("59.00", "1200", "1.250")


def test_money_rounds_half_up():
    assert (money("10.005", "USD"), money("99.5", "JPY")) == ("10.01", "100")


def test_an_order_in_rounds_its_amounts_to_the_minor_units():
    parsed = OrderIn.model_validate(
        {
            **order("DELIVERED", "10.005"),
            "externalId": "u",
            "shipping": 1,
            "items": [{"externalItemId": "a", "quantity": 1, "cost": 3.333}],
        }
    )
    body = parsed.model_dump(mode="json", exclude_none=True)
    assert (body["totalCost"], body["shipping"], body["items"][0]["cost"]) == ("10.01", "1.00", "3.33")


def test_an_order_in_takes_a_naive_updated_at_as_utc():
    parsed = OrderIn.model_validate({**order("DELIVERED"), "externalId": "u", "updatedAt": "2026-11-27T11:00:00"})
    assert parsed.updatedAt == datetime(2026, 11, 27, 11, tzinfo=UTC)


def test_a_stored_order_is_shown_with_money_strings_and_its_processing_time():
    version = stored({**order("DELIVERED", "59"), "items": [{"externalItemId": "a", "quantity": 1, "cost": "59"}]})
    view = shown(version)
    assert (view["totalCost"], view["items"][0]["cost"], view["processedAt"], view["version"]) == (
        "59.00",
        "59.00",
        "2026-11-27T12:00:00.000Z",
        1,
    )


def test_orders_request_keeps_each_order_raw_for_per_item_rejection():
    request = OrdersRequest.model_validate({"orders": [{"bad": True}, 5]})
    assert request.raw() == [{"bad": True}, 5]
