"""The recommendations API on moto through the Chalice test client: after the scheduled rebuild, a product's,
a contact's and the site visitor's recommendations as product cards; bad input naming each bad parameter; the
secret and the site key each on their own route."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import jobs
from tests.conftest import SITE_KEY, SITE_ORIGIN

AT = "2026-11-27T10:00:00Z"  # before the fixed clock's now: the rebuild reads it


def order(external_id: str, *products: str) -> dict[str, Any]:
    lines = [{"product_id": p, "quantity": 1} for p in products]
    return {"type": "Order Completed", "externalId": external_id, "timestamp": AT, "properties": {"products": lines}}


@pytest.fixture
def shop(api: Any) -> Any:
    for product_id, category, in_stock in (
        ("beans", "Coffee", True),
        ("grinder", "Coffee", True),
        ("mug", "Kitchen", True),
        ("kettle", "Kitchen", False),
    ):
        body = {"name": product_id.title(), "price": "12.50", "currency": "EUR", "categoryPath": [category]}
        status, answer = api.json("PUT", f"/v1/products/{product_id}", {**body, "inStock": in_stock})
        assert status in (200, 201), answer
    events = [
        order("ann", "beans", "grinder"),
        order("bob", "beans", "grinder", "mug", "kettle"),
        {"type": "Product Viewed", "anonymousId": "v-1", "timestamp": AT, "properties": {"product_id": "mug"}},
    ]
    assert api.json("POST", "/v1/events", {"events": events})[0] in (200, 202)
    api.drain()
    assert jobs.recommendations()["complete"] is True
    return api


def recommendations(api: Any, **query: str) -> tuple[int, Any]:
    return api.json("GET", "/v1/recommendations?" + urlencode(query))


def error_paths(answer: dict[str, Any]) -> list[str]:
    return sorted(d["path"] for d in answer["error"]["details"])


def test_a_products_bought_together_are_answered_as_cards(shop):
    status, answer = recommendations(shop, model="boughtTogether", productId="beans")
    assert status == 200 and answer["model"] == "boughtTogether"
    assert [i["id"] for i in answer["items"]][0] == "grinder"
    assert "kettle" not in [i["id"] for i in answer["items"]]  # out of stock
    assert answer["items"][0] == {
        "id": "grinder",
        "name": "Grinder",
        "url": None,
        "image": None,
        "price": "12.50",
        "oldPrice": None,
        "currency": "EUR",
    }


def test_out_of_stock_products_are_answered_when_asked_and_the_limit_holds(shop):
    _, answer = recommendations(shop, model="boughtTogether", productId="beans", inStock="false", limit="3")
    assert sorted(i["id"] for i in answer["items"]) == ["grinder", "kettle", "mug"]
    _, answer = recommendations(shop, model="boughtTogether", productId="beans", inStock="false", limit="1")
    assert len(answer["items"]) == 1


def test_a_contacts_personal_recommendations_leave_out_what_they_bought(shop):
    status, answer = recommendations(shop, model="personal", externalId="ann", excludePurchased="true")
    assert status == 200
    assert [i["id"] for i in answer["items"]] == ["mug"]  # bought with what ann bought; the kettle is out of stock
    _, answer = recommendations(shop, model="personal", externalId="ann")
    assert sorted(i["id"] for i in answer["items"]) == ["beans", "grinder", "mug"]


def test_an_unknown_contact_is_a_404_naming_the_external_id(shop):
    status, answer = recommendations(shop, model="personal", externalId="nobody")
    assert (status, error_paths(answer)) == (404, ["externalId"])


def test_bad_parameters_are_each_named(api):
    status, answer = recommendations(api, model="nope", limit="0", inStock="maybe", attributes="color")
    assert (status, error_paths(answer)) == (400, ["attributes", "inStock", "limit", "model"])
    (model,) = [d["message"] for d in answer["error"]["details"] if d["path"] == "model"]
    assert "bestsellers" in model and "recentlyViewed" in model


def test_a_model_without_what_it_needs_is_a_400_naming_it(api):
    assert error_paths(recommendations(api, model="similar")[1]) == ["productId"]
    assert error_paths(recommendations(api, model="recentlyViewed")[1]) == ["externalId"]
    assert recommendations(api, model="similar", cart="a,b")[0] == 200


def test_the_site_route_answers_the_visitor_by_anonymous_id(shop):
    query = urlencode({"model": "recentlyViewed", "anonymousId": "v-1"})
    response = shop.call("GET", f"/v1/track/recommendations?{query}", key=SITE_KEY, headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 200, response.body
    assert [i["id"] for i in json.loads(response.body)["items"]] == ["mug"]
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_an_unknown_visitor_gets_the_bestsellers(shop):
    query = urlencode({"model": "personal", "anonymousId": "never-seen"})
    response = shop.call("GET", f"/v1/track/recommendations?{query}", key=SITE_KEY)
    assert [i["id"] for i in json.loads(response.body)["items"]][:2] == ["beans", "grinder"]


def test_each_route_takes_its_own_key(api):
    assert api.json("GET", "/v1/recommendations?model=bestsellers", key=SITE_KEY)[0] in (401, 403)
    assert api.json("GET", "/v1/track/recommendations?model=bestsellers")[0] in (401, 403)


def test_a_page_cannot_name_a_contact_by_external_id(api):
    query = urlencode({"model": "personal", "externalId": "ann"})
    response = api.call("GET", f"/v1/track/recommendations?{query}", key=SITE_KEY)
    assert (response.status_code, error_paths(json.loads(response.body))) == (400, ["anonymousId"])
