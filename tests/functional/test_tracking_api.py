"""Segment-compatible tracking: site keys, CORS by allowed origin, identify/alias merges."""

import json

from tests.conftest import SECRET_KEY, SITE_KEY, SITE_ORIGIN

ORIGIN = {"Origin": SITE_ORIGIN}


def track(api, path, body, headers=None, key=SITE_KEY):
    response = api.client.http.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={
            "Content-Type": "application/json",
            **(headers or {}),
            **({"Authorization": _basic_user(key)} if key else {}),
        },
    )
    return response


def _basic_user(key):
    import base64

    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def card(api, external_id="u-1"):
    return api.json("GET", f"/v1/contacts/{external_id}")[1]


def test_track_with_the_site_key_is_accepted(api):
    response = track(
        api, "/v1/track", {"event": "Product Viewed", "anonymousId": "anon-1", "properties": {"product_id": "sku-1"}}
    )
    assert response.status_code == 200 and json.loads(response.body)["accepted"] == 1


def test_a_secret_key_cannot_track(api):
    response = track(
        api,
        "/v1/track",
        {"event": "X", "anonymousId": "a"},
        key=None,
        headers={"Authorization": "Basic " + __import__("base64").b64encode(f"x:{SECRET_KEY}".encode()).decode()},
    )
    assert response.status_code == 403


def test_an_allowed_origin_gets_cors_headers(api):
    response = track(api, "/v1/track", {"event": "X", "anonymousId": "a"}, headers=ORIGIN)
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_another_origin_is_refused(api):
    response = track(api, "/v1/track", {"event": "X", "anonymousId": "a"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    api.drain()
    assert api.stores.contacts.load("a#a") is None


def test_preflight_is_answered(api):
    response = api.client.http.request(
        "OPTIONS", "/v1/batch", headers={**ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_write_key_in_a_text_plain_beacon_is_accepted(api):
    body = {"writeKey": SITE_KEY, "batch": [{"type": "page", "anonymousId": "anon-1"}]}
    response = api.client.http.request(
        "POST", "/v1/batch", body=json.dumps(body), headers={"Content-Type": "text/plain;charset=UTF-8", **ORIGIN}
    )
    assert response.status_code == 200 and json.loads(response.body)["accepted"] == 1


def test_bad_calls_in_a_batch_are_reported_and_good_ones_kept(api):
    body = {"batch": [{"type": "track", "event": "A", "anonymousId": "x"}, {"type": "track", "event": "B"}]}
    response = track(api, "/v1/batch", body)
    result = json.loads(response.body)
    assert result["accepted"] == 1 and result["rejected"][0]["index"] == 1


def test_identify_after_anonymous_browsing_merges_the_history(api):
    track(
        api,
        "/v1/track",
        {"event": "Product Viewed", "anonymousId": "anon-1", "messageId": "m1", "properties": {"product_id": "sku-1"}},
    )
    track(api, "/v1/page", {"anonymousId": "anon-1", "messageId": "m2"})
    api.drain()
    track(
        api,
        "/v1/identify",
        {"userId": "u-1", "anonymousId": "anon-1", "traits": {"email": "ann@example.com", "first_name": "Ann"}},
    )
    api.drain()
    contact = card(api)
    assert contact["anonymousIds"] == ["anon-1"]
    assert (contact["email"], contact["firstName"]) == ("ann@example.com", "Ann")
    assert contact["aggregates"]["recentlyViewed"][0]["productId"] == "sku-1"
    _, activity = api.json("GET", "/v1/contacts/u-1/activity")
    assert sorted(e["type"] for e in activity["events"]) == ["Page Viewed", "Product Viewed"]


def test_after_the_merge_the_anonymous_id_resolves_to_the_contact(api):
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1", "traits": {}})
    api.drain()
    track(api, "/v1/track", {"event": "Later", "anonymousId": "anon-1"})
    api.drain()
    assert "Later" in card(api)["aggregates"]["eventCounts"]


def test_alias_merges_the_anonymous_visitor(api):
    track(api, "/v1/track", {"event": "Browse", "anonymousId": "anon-7"})
    api.drain()
    track(api, "/v1/alias", {"previousId": "anon-7", "userId": "u-1"})
    api.drain()
    assert card(api)["aggregates"]["eventCounts"]["Browse"]["last1d"] == 1


def test_a_resent_segment_message_is_counted_once(api):
    call = {"event": "Clicked", "anonymousId": "anon-1", "userId": "u-1", "messageId": "same"}
    track(api, "/v1/track", call)
    track(api, "/v1/track", call)
    api.drain()
    assert card(api)["aggregates"]["eventCounts"]["Clicked"]["last1d"] == 1


def test_esputnik_event_names_map_onto_the_model(api):
    track(
        api,
        "/v1/track",
        {
            "event": "StatusCart",
            "userId": "u-1",
            "properties": {"StatusCart": [{"productKey": "sku-2", "price": "5", "quantity": 3}], "GUID": "cart-9"},
        },
    )
    api.drain()
    cart = card(api)["aggregates"]["cart"]
    assert (cart["cartId"], cart["items"][0]["productId"], cart["items"][0]["quantity"]) == ("cart-9", "sku-2", 3)


def test_a_web_purchase_is_a_delivered_order(api):
    track(
        api,
        "/v1/track",
        {
            "event": "Order Completed",
            "userId": "u-1",
            "properties": {
                "order_id": "w-1",
                "total": 30,
                "currency": "USD",
                "products": [{"product_id": "sku-1", "quantity": 1, "price": 30}],
            },
        },
    )
    api.drain()
    aggs = card(api)["aggregates"]
    assert (aggs["orderCount"], aggs["revenue"]) == (1, {"USD": "30.00"})
