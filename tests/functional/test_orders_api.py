"""Orders: upsert by externalOrderId, status events, DELIVERED-only aggregates, idempotency."""


def order(status="DELIVERED", total=100, **extra):
    return {
        "externalOrderId": "o-1",
        "externalId": "u-1",
        "status": status,
        "date": "2026-11-26T10:00:00Z",
        "totalCost": total,
        "currency": "USD",
        "items": [{"externalItemId": "sku-1", "quantity": 2, "cost": 50}],
        **extra,
    }


def post(api, *orders):
    status, body = api.json("POST", "/v1/orders", {"orders": list(orders)})
    api.drain()
    return status, body


def aggs(api):
    return api.json("GET", "/v1/contacts/u-1")[1]["aggregates"]


def test_a_delivered_order_counts_in_aggregates(api):
    assert post(api, order())[0] == 202
    a = aggs(api)
    assert (a["orderCount"], a["orderCounts"], a["revenue"], a["averageOrderValue"], a["lastOrderAt"]) == (
        1,
        {"USD": 1},
        {"USD": "100.00"},
        {"USD": "100.00"},
        "2026-11-26T10:00:00.000Z",
    )


def test_a_resent_order_is_not_counted_twice(api):
    post(api, order())
    post(api, order())
    assert aggs(api)["orderCount"] == 1


def test_only_delivered_orders_count(api):
    post(api, order("INITIALIZED"))
    assert aggs(api)["orderCount"] == 0
    post(api, order("DELIVERED"))
    assert aggs(api)["orderCount"] == 1


def test_cancelling_a_delivered_order_removes_it_from_aggregates(api):
    post(api, order("DELIVERED"))
    post(api, order("CANCELLED"))
    a = aggs(api)
    assert (a["orderCount"], a["revenue"], a["firstOrderAt"], a["lastOrderAt"]) == (0, {}, None, None)


def test_each_status_change_is_an_event(api):
    post(api, order("INITIALIZED"))
    post(api, order("IN_PROGRESS"))
    post(api, order("IN_PROGRESS"))
    _, activity = api.json("GET", "/v1/contacts/u-1/activity")
    assert [e["type"] for e in activity["events"]] == ["orderIN_PROGRESS", "orderINITIALIZED"]


def test_orders_are_readable(api):
    post(api, order())
    status, body = api.json("GET", "/v1/orders/o-1")
    assert status == 200 and (body["status"], body["version"]) == ("DELIVERED", 1)


def test_bad_orders_are_rejected_by_index_and_good_ones_kept(api):
    bad = {**order(), "externalOrderId": "o-2", "status": "SHIPPED", "currency": "US"}
    _, body = post(api, order(), bad)
    assert body["accepted"] == 1
    assert sorted(e["path"] for e in body["rejected"][0]["errors"]) == ["orders[1].currency", "orders[1].status"]


def test_an_order_needs_a_customer(api):
    no_customer = {k: v for k, v in order().items() if k != "externalId"}
    status, body = post(api, no_customer)
    assert status == 400 and body["error"]["details"][0]["message"].startswith("one of externalId")
