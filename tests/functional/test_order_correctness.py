"""The contact card's orders are right whatever order the messages arrive in (docs/data-model.md, "Orders"):
the order's own time (``updatedAt``, else ``date``) decides between messages, counts and averages are per
currency, first/last order times follow the orders that count, derived events take the order's time, and
money is a decimal string in the currency's minor units everywhere."""

import copy
import json

PLACED = "2026-11-20T09:00:00Z"


def order(status="DELIVERED", order_id="o-1", date=PLACED, total=100, currency="USD", **extra):
    return {
        "externalOrderId": order_id,
        "externalId": "u-1",
        "status": status,
        "date": date,
        "totalCost": total,
        "currency": currency,
        **extra,
    }


def send(api, *orders):
    """Each order in a request of its own, applied before the next is sent: the arrival order is the order given."""
    for one in orders:
        status, body = api.json("POST", "/v1/orders", {"orders": [one]})
        assert status == 202 and body["accepted"] == 1, body
        api.drain()


def aggs(api, external_id="u-1"):
    return api.json("GET", f"/v1/contacts/{external_id}")[1]["aggregates"]


def activity(api):
    return api.json("GET", "/v1/contacts/u-1/activity?limit=50")[1]["events"]


# --- status changes follow the order's own time --------------------------------------------------------------


def test_a_late_older_initialized_does_not_uncount_a_delivered_order(api):
    send(api, order("DELIVERED", date="2026-11-20T12:00:00Z"), order("INITIALIZED", date="2026-11-20T09:00:00Z"))
    assert aggs(api)["orderCount"] == 1


def test_a_late_older_delivered_does_not_count_a_cancelled_order(api):
    send(api, order("CANCELLED", date="2026-11-20T12:00:00Z"), order("DELIVERED", date="2026-11-20T09:00:00Z"))
    assert aggs(api)["orderCount"] == 0


def test_updated_at_orders_messages_that_share_a_date(api):
    send(
        api,
        order("DELIVERED", updatedAt="2026-11-21T10:00:00Z"),
        order("CANCELLED", updatedAt="2026-11-21T09:00:00Z"),  # sent before the delivery, arrived after it
    )
    assert aggs(api)["orderCount"] == 1


def test_a_newer_message_changes_a_terminal_status(api):
    send(
        api,
        order("DELIVERED", updatedAt="2026-11-21T10:00:00Z"),
        order("CANCELLED", updatedAt="2026-11-25T10:00:00Z"),  # returned
    )
    assert aggs(api)["orderCount"] == 0


def test_at_the_same_time_a_terminal_status_beats_a_non_terminal_one(api):
    send(api, order("DELIVERED"), order("IN_PROGRESS"))
    assert api.json("GET", "/v1/orders/o-1")[1]["status"] == "DELIVERED"


def test_at_the_same_time_cancelled_beats_delivered_whatever_arrives_first(api):
    send(api, order("CANCELLED"), order("DELIVERED"))
    assert (api.json("GET", "/v1/orders/o-1")[1]["status"], aggs(api)["orderCount"]) == ("CANCELLED", 0)


def test_at_the_same_time_the_same_status_again_is_a_correction(api):
    send(api, order("DELIVERED", total=100), order("DELIVERED", total=90))
    assert aggs(api)["revenue"] == {"USD": "90.00"}


def test_an_ignored_late_message_stores_nothing_and_makes_no_event(api):
    send(api, order("DELIVERED", date="2026-11-20T12:00:00Z"), order("INITIALIZED", date="2026-11-20T09:00:00Z"))
    assert api.json("GET", "/v1/orders/o-1")[1]["version"] == 1
    assert [e["type"] for e in activity(api)] == ["orderDELIVERED"]


# --- counts and averages per currency -------------------------------------------------------------------------


def test_the_average_order_value_divides_by_the_currencys_own_count(api):
    send(
        api,
        order(order_id="o-1", total=100, currency="USD"),
        order(order_id="o-2", total=50, currency="EUR"),
        order(order_id="o-3", total=300, currency="USD"),
    )
    a = aggs(api)
    assert (a["orderCount"], a["orderCounts"], a["revenue"], a["averageOrderValue"]) == (
        3,
        {"EUR": 1, "USD": 2},
        {"USD": "400.00", "EUR": "50.00"},
        {"USD": "200.00", "EUR": "50.00"},
    )


def test_a_currency_with_no_orders_left_disappears(api):
    send(api, order(order_id="o-1", currency="USD"), order(order_id="o-2", currency="EUR"))
    send(api, order("CANCELLED", order_id="o-2", currency="EUR"))
    a = aggs(api)
    assert (a["orderCounts"], a["revenue"], a["averageOrderValue"]) == (
        {"USD": 1},
        {"USD": "100.00"},
        {"USD": "100.00"},
    )


def test_a_contact_stored_before_per_currency_counts_is_recounted_from_its_orders(api):
    # GIVEN a contact whose order aggregates were stored before per-currency counts existed
    send(api, order(order_id="o-1", total=100, currency="USD"), order(order_id="o-2", total=50, currency="EUR"))
    old = api.stores.contacts.load("x#u-1")
    rec = copy.deepcopy(old)
    rec.aggs["orders"] = {k: v for k, v in rec.aggs["orders"].items() if k != "counts"}
    api.stores.contacts.save(rec, old)
    # WHEN its next order arrives
    send(api, order(order_id="o-3", total=300, currency="USD"))
    # THEN the counts come from its orders
    assert aggs(api)["averageOrderValue"] == {"USD": "200.00", "EUR": "50.00"}


# --- first and last order times are those of the orders that count ---------------------------------------------


def test_cancelling_the_only_order_clears_the_first_and_last_order_times(api):
    send(api, order("DELIVERED"), order("CANCELLED"))
    a = aggs(api)
    assert (a["firstOrderAt"], a["lastOrderAt"]) == (None, None)


def test_cancelling_the_first_and_last_of_three_leaves_the_middle_one(api):
    dates = ("2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z", "2026-11-20T10:00:00Z")
    send(api, *(order(order_id=f"o-{n}", date=d) for n, d in enumerate(dates)))
    send(api, order("CANCELLED", order_id="o-0", date=dates[0]), order("CANCELLED", order_id="o-2", date=dates[2]))
    a = aggs(api)
    assert (a["firstOrderAt"], a["lastOrderAt"]) == ("2026-11-10T10:00:00.000Z", "2026-11-10T10:00:00.000Z")


def test_changing_a_delivered_orders_date_moves_the_order_times(api):
    send(api, order(date="2026-11-20T09:00:00Z"), order(date="2026-11-18T09:00:00Z", updatedAt="2026-11-21T09:00:00Z"))
    a = aggs(api)
    assert (a["firstOrderAt"], a["lastOrderAt"]) == ("2026-11-18T09:00:00.000Z", "2026-11-18T09:00:00.000Z")


def test_the_order_times_are_recomputed_over_orders_a_merged_visitor_placed(api):
    # GIVEN an anonymous visitor's web purchase, then the visitor signs in as u-1
    web = {"order_id": "w-1", "total": 20, "currency": "USD"}
    visit = {"type": "Order Completed", "anonymousId": "anon-1", "timestamp": "2026-11-01T10:00:00Z"}
    login = {"type": "Login", "externalId": "u-1", "anonymousId": "anon-1", "timestamp": "2026-11-02T10:00:00Z"}
    assert api.json("POST", "/v1/events", {"events": [{**visit, "eventId": "v1", "properties": web}]})[0] == 202
    api.drain()
    assert api.json("POST", "/v1/events", {"events": [{**login, "eventId": "v2"}]})[0] == 202
    api.drain()
    # WHEN u-1's later order is delivered, then cancelled
    send(api, order(date="2026-11-20T09:00:00Z"), order("CANCELLED", date="2026-11-20T09:00:00Z"))
    # THEN the first and last order are the visitor's purchase
    a = aggs(api)
    assert (a["orderCount"], a["firstOrderAt"], a["lastOrderAt"]) == (
        1,
        "2026-11-01T10:00:00.000Z",
        "2026-11-01T10:00:00.000Z",
    )


# --- derived events take the order's own time -----------------------------------------------------------------


def test_delivering_a_june_order_today_does_not_make_the_customer_look_active_today(api):
    api.json("POST", "/v1/events", {"events": [{"type": "Login", "externalId": "u-1", "timestamp": PLACED}]})
    api.drain()
    send(api, order("INITIALIZED", date="2026-06-10T09:00:00Z"), order("DELIVERED", date="2026-06-10T09:00:00Z"))
    a = aggs(api)
    assert a["lastSeenAt"] == "2026-11-20T09:00:00.000Z"
    assert "orderDELIVERED" not in a["dailyEventCounts"]


def test_a_status_event_is_dated_by_the_updated_at_the_client_sent(api):
    send(api, order("INITIALIZED"), order("DELIVERED", updatedAt="2026-11-22T15:30:00Z"))
    events = {e["type"]: e for e in activity(api)}
    assert (events["orderINITIALIZED"]["timestamp"], events["orderDELIVERED"]["timestamp"]) == (
        "2026-11-20T09:00:00.000Z",
        "2026-11-22T15:30:00.000Z",
    )


# --- money: decimal strings in the currency's minor units --------------------------------------------------------


def test_a_stored_order_shows_money_as_decimal_strings(api):
    send(api, order(total=59, items=[{"externalItemId": "sku-1", "quantity": 2, "cost": 29.5}]))
    body = api.json("GET", "/v1/orders/o-1")[1]
    assert (body["totalCost"], body["items"][0]["cost"]) == ("59.00", "29.50")


def test_a_status_event_shows_money_as_decimal_strings(api):
    send(api, order(total=59, items=[{"externalItemId": "sku-1", "quantity": 1, "cost": 59}]))
    (event,) = activity(api)
    assert (event["properties"]["totalCost"], event["properties"]["items"][0]["cost"]) == ("59.00", "59.00")


def test_money_follows_the_currencys_minor_units(api):
    send(api, order(order_id="o-1", total=1200, currency="JPY"), order(order_id="o-2", total="1.25", currency="KWD"))
    assert aggs(api)["revenue"] == {"JPY": "1200", "KWD": "1.250"}


def test_amounts_are_rounded_half_up_to_the_minor_units(api):
    send(api, order(total="10.005"))
    assert api.json("GET", "/v1/orders/o-1")[1]["totalCost"] == "10.01"


def test_the_openapi_document_types_orders_and_their_money(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    schemas = doc["components"]["schemas"]
    item = schemas["OrdersRequest"]["properties"]["orders"]["items"]
    assert item["title"] == "OrderIn" and {"externalOrderId", "status", "updatedAt"} <= set(item["properties"])
    assert schemas["StoredOrder"]["properties"]["totalCost"]["type"] == "string"
    revenue = schemas["ContactCard"]["properties"]["aggregates"]["properties"]["revenue"]
    assert revenue["additionalProperties"]["type"] == "string"
