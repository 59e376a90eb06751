"""Issue 9, "Messages that mislead": one message per rule, money shown in minor units, one currency rule,
"is required" for a missing externalId, and 400 for a batch where nothing was accepted."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.catalog.models import PRODUCT_PRICE_RULE
from chalicelib.errors import InvalidInput
from chalicelib.ports import Ports
from chalicelib.services.ingest import accept_tracked

ORDER = {
    "externalOrderId": "o-1",
    "externalId": "u-1",
    "status": "DELIVERED",
    "date": "2026-11-26T10:00:00Z",
    "totalCost": 100,
    "currency": "USD",
}


def put_product(api: Any, **fields: Any) -> tuple[int, Any]:
    return api.json("PUT", "/v1/products/sku-1", {"name": "Trail Runner", "price": "10", **fields})


def price_error(body: Any) -> str:
    (detail,) = [d for d in body["error"]["details"] if d["path"] == "price"]
    return str(detail["message"])


# --- 1. product prices ------------------------------------------------------------------------------------


@pytest.mark.parametrize("price", ["-1", -1, "10.00 USD", "USD 10", "ten", None], ids=repr)
def test_every_bad_product_price_gets_the_same_message(api, price):
    status, body = put_product(api, price=price)
    assert status == 400
    assert price_error(body) == PRODUCT_PRICE_RULE


def test_a_product_price_is_shown_in_the_currency_minor_units(api):
    status, body = put_product(api, price=79.5, currency="USD")
    assert status == 201 and body["price"] == "79.50"


def test_a_product_price_without_minor_units_is_shown_whole(api):
    _, body = put_product(api, price="1200", currency="JPY")
    assert body["price"] == "1200"


def test_a_product_price_finer_than_the_minor_unit_is_kept_exact(api):
    put_product(api, price="19.999", currency="USD")
    _, body = api.json("GET", "/v1/products/sku-1")
    assert body["price"] == "19.999"


def test_a_read_product_shows_both_prices_in_minor_units(api):
    put_product(api, price=79.5, oldPrice=99, currency="EUR")
    _, body = api.json("GET", "/v1/products/sku-1")
    assert (body["price"], body["oldPrice"]) == ("79.50", "99.00")


# --- 2. currency: any case, upper-cased everywhere ----------------------------------------------------------


def test_a_lower_case_product_currency_is_upper_cased(api):
    _, body = put_product(api, currency="usd")
    assert body["currency"] == "USD"


def test_a_lower_case_order_currency_is_accepted_and_upper_cased(api):
    status, body = api.json("POST", "/v1/orders", {"orders": [{**ORDER, "currency": "usd"}]})
    api.drain()
    assert (status, body["accepted"]) == (202, 1)
    assert api.json("GET", "/v1/orders/o-1")[1]["currency"] == "USD"


@pytest.mark.parametrize("currency", ["US", "USDX", "U$D"])
def test_a_bad_currency_gets_the_same_message_on_orders_and_products(api, currency):
    _, order = api.json("POST", "/v1/orders", {"orders": [{**ORDER, "currency": currency}]})
    _, product = put_product(api, currency=currency)
    order_messages = {d["message"] for d in order["error"]["details"]}
    product_messages = {d["message"] for d in product["error"]["details"]}
    assert order_messages == product_messages == {"must be an ISO 4217 currency code like USD (any case)"}


# --- 3. contact imports: a missing externalId ---------------------------------------------------------------


def _import_errors(api: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _, accepted = api.json("POST", "/v1/imports/contacts", {"contacts": rows})
    api.drain()
    errors: list[dict[str, Any]] = api.json("GET", accepted["statusUrl"])[1]["errors"]
    return errors


def test_an_import_row_without_external_id_says_it_is_required(api):
    (row,) = _import_errors(api, [{"email": "ann@example.com"}])
    assert row["errors"] == [{"path": "externalId", "message": "is required"}]


def test_an_import_row_with_a_blank_external_id_says_it_is_required(api):
    (row,) = _import_errors(api, [{"externalId": "  ", "email": "ann@example.com"}])
    assert row["errors"] == [{"path": "externalId", "message": "is required"}]


def test_an_import_row_without_external_id_reports_its_other_problems_too(api):
    (row,) = _import_errors(api, [{"email": "not-an-email"}])
    assert [e["path"] for e in row["errors"]] == ["externalId", "email"]


# --- 5. a batch where nothing was accepted ------------------------------------------------------------------


def test_events_all_rejected_is_a_400_with_each_item_errors(api):
    status, body = api.json("POST", "/v1/events", {"events": [{"type": "A"}, {"externalId": "u"}]})
    assert status == 400
    paths = [d["path"] for d in body["error"]["details"]]
    assert paths[0].startswith("events[0]") and paths[-1].startswith("events[1]")


def test_events_partly_rejected_is_still_a_202(api):
    status, body = api.json("POST", "/v1/events", {"events": [{"type": "A", "externalId": "u"}, {"type": "A"}]})
    assert (status, body["accepted"], body["rejected"][0]["index"]) == (202, 1, 1)


def test_orders_all_rejected_is_a_400_with_each_item_errors(api):
    bad = [{**ORDER, "status": "SHIPPED"}, {**ORDER, "externalOrderId": "o-2", "totalCost": -1}]
    status, body = api.json("POST", "/v1/orders", {"orders": bad})
    assert status == 400
    assert [d["path"] for d in body["error"]["details"]] == ["orders[0].status", "orders[1].totalCost"]


def test_segment_calls_all_rejected_raise_invalid_input_naming_each_call(stores: Ports):
    rejected = [
        {"index": 0, "errors": [{"path": "event", "message": "is required"}]},
        {"index": 1, "errors": [{"path": "$", "message": "must be an object"}]},
    ]
    with pytest.raises(InvalidInput) as raised:
        accept_tracked(stores, [], rejected)
    assert [(d.path, d.message) for d in raised.value.details] == [
        ("batch[0].event", "is required"),
        ("batch[1]", "must be an object"),
    ]


def test_segment_calls_partly_rejected_queue_the_good_ones(stores: Ports):
    assert accept_tracked(stores, [], []) == 0
