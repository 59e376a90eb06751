"""Segment tracking calls and eSputnik eS.js events mapped onto Orbit events and identity commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.events.models import Event
from chalicelib.identity.commands import AliasCommand, IdentifyCommand
from chalicelib.tracking.esputnik import from_esputnik
from chalicelib.tracking.mapping import clamp_future, map_batch, map_call

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def paths(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [d.path for d in exc.value.details]


def one_event(call: dict[str, Any], **kwargs: Any) -> Event:
    [out] = map_call(call, received_at=NOW, **kwargs)
    assert isinstance(out, Event)
    return out


def track(event: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u-1", "properties": properties, **extra}


# --- eSputnik event names -----------------------------------------------------------------------------------


def test_product_page_maps_to_product_viewed_with_price_text_parsed() -> None:
    payload = {"ProductPage": {"productKey": "SKU-1", "price": "754 USD", "isInStock": 1, "tag_color": ["red"]}}
    kind, props = from_esputnik("ProductPage", payload) or ("", {})
    assert kind == "Product Viewed"
    assert props == {
        "product_id": "SKU-1",
        "price": 754.0,
        "currency": "USD",
        "in_stock": True,
        "tags": {"color": ["red"]},
    }


def test_product_page_accepts_inner_payload_and_string_flags() -> None:
    result = from_esputnik("ProductPage", {"productKey": 17, "price": "19.5", "isInStock": "0"})
    assert result == ("Product Viewed", {"product_id": "17", "price": 19.5, "in_stock": False})


def test_product_page_with_tags_variant_unwraps_nested_product() -> None:
    payload = {"ProductPage": {"Product": {"productKey": "SKU-1", "price": 5}, "Tags": {"season": ["summer"]}}}
    _, props = from_esputnik("ProductPage", payload) or ("", {})
    assert props == {"product_id": "SKU-1", "price": 5.0, "tags": {"season": ["summer"]}}


def test_non_numeric_price_names_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        from_esputnik("ProductPage", {"ProductPage": {"productKey": "SKU-1", "price": "cheap"}})
    assert paths(exc) == ["properties.ProductPage.price"]


def test_missing_product_key_is_required() -> None:
    with pytest.raises(InvalidInput) as exc:
        from_esputnik("AddToWishlist", {"price": 3})
    assert paths(exc) == ["properties.AddToWishlist.productKey"]


def test_status_cart_maps_full_cart_to_cart_updated() -> None:
    payload = {
        "StatusCart": [{"productKey": "A", "price": "10", "quantity": "2", "currency": "uah"}],
        "GUID": "cart-1",
    }
    assert from_esputnik("StatusCart", payload) == (
        "Cart Updated",
        {
            "cart_id": "cart-1",
            "products": [{"product_id": "A", "price": 10.0, "quantity": 2, "currency": "UAH"}],
            "currency": "UAH",
        },
    )


def test_status_cart_with_tags_variant_reads_products_and_currency_code() -> None:
    payload = {
        "StatusCart": {
            "GUID": "cart-2",
            "Products": [{"productKey": "A", "price": 3, "discount": "1", "quantity": 1, "price_currency_code": "EUR"}],
        }
    }
    _, props = from_esputnik("StatusCart", payload) or ("", {})
    assert props["products"] == [{"product_id": "A", "price": 3.0, "currency": "EUR", "quantity": 1, "discount": 1.0}]


def test_empty_status_cart_is_an_empty_cart() -> None:
    assert from_esputnik("StatusCart", {"StatusCart": [], "GUID": "g"}) == (
        "Cart Updated",
        {"cart_id": "g", "products": []},
    )


def test_bad_cart_quantity_names_the_item() -> None:
    with pytest.raises(InvalidInput) as exc:
        from_esputnik("StatusCart", {"StatusCart": [{"productKey": "A", "quantity": "lots"}], "GUID": "g"})
    assert paths(exc) == ["properties.StatusCart[0].quantity"]


def test_purchased_items_maps_to_order_completed_with_computed_total() -> None:
    payload = {
        "OrderNumber": "O-1",
        "GUID": "cart-1",
        "PurchasedItems": [
            {"productKey": "A", "price": "10.10", "quantity": 3, "currency": "USD"},
            {"productKey": "B", "price": 0.2, "quantity": 1, "currency": "USD"},
        ],
    }
    kind, props = from_esputnik("PurchasedItems", payload) or ("", {})
    assert (kind, props["order_id"], props["cart_id"]) == ("Order Completed", "O-1", "cart-1")
    assert (props["total"], props["currency"]) == (30.5, "USD")


def test_purchased_items_with_tags_variant_reads_unit_price() -> None:
    payload = {
        "PurchasedItems": {
            "Products": [{"product_id": "A", "unit_price": "2.5", "quantity": 2}],
            "OrderNumber": 99,
            "Tags": {"blockId": ["b-1"]},
        }
    }
    _, props = from_esputnik("PurchasedItems", payload) or ("", {})
    assert props == {
        "order_id": "99",
        "products": [{"product_id": "A", "price": 2.5, "quantity": 2}],
        "total": 5.0,
        "tags": {"blockId": ["b-1"]},
    }


def test_purchased_items_without_order_number_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        from_esputnik("PurchasedItems", {"PurchasedItems": []})
    assert paths(exc) == ["properties.PurchasedItems.OrderNumber"]


def test_customer_data_becomes_identify_traits() -> None:
    payload = {
        "CustomerData": {
            "externalCustomerId": "42",
            "user_email": "ann@example.com",
            "user_phone": "+380501234567",
            "user_name": "Ann Lee",
            "user_city": "Kyiv",
            "user_tags_vip": ["gold"],
        }
    }
    kind, traits = from_esputnik("CustomerData", payload) or ("", {})
    assert (kind, traits.pop("address"), traits.pop("tags")) == (
        "identify",
        {"city": "Kyiv"},
        {"vip": ["gold"]},
    )
    assert traits == {
        "externalId": "42",
        "email": "ann@example.com",
        "phone": "+380501234567",
        "firstName": "Ann",
        "lastName": "Lee",
    }


def test_customer_data_ignores_null_external_id() -> None:
    assert from_esputnik("CustomerData", {"externalCustomerId": "null", "user_email": "a@b.co"}) == (
        "identify",
        {"email": "a@b.co"},
    )


def test_category_page_maps_to_product_list_viewed() -> None:
    assert from_esputnik("CategoryPage", {"CategoryPage": {"categoryKey": "shoes"}}) == (
        "Product List Viewed",
        {"category": "shoes"},
    )


def test_search_request_maps_to_products_searched() -> None:
    assert from_esputnik("SearchRequest", {"SearchRequest": {"search": "red shoes", "isFound": 0}}) == (
        "Products Searched",
        {"query": "red shoes", "found": False},
    )


def test_add_to_wishlist_maps_to_product_added_to_wishlist() -> None:
    assert from_esputnik("AddToWishlist", {"AddToWishlist": {"productKey": "A", "price": 1, "isInStock": 1}}) == (
        "Product Added to Wishlist",
        {"product_id": "A", "price": 1.0, "in_stock": True},
    )


@pytest.mark.parametrize(
    ("name", "props"),
    [
        ("PageView", {}),
        ("MainPage", {"page_type": "main"}),
        ("NotFound", {"page_type": "not_found"}),
        ("StatusCartPage", {"page_type": "cart"}),
    ],
)
def test_page_events_map_to_page_viewed(name: str, props: dict[str, Any]) -> None:
    assert from_esputnik(name, {name: {}}) == ("Page Viewed", props)


def test_unknown_name_is_not_an_esputnik_event() -> None:
    assert from_esputnik("Order Completed", {"order_id": "1"}) is None


# --- Segment track / page / identify / alias ----------------------------------------------------------------


def test_track_with_esputnik_name_uses_canonical_type_and_drops_ip() -> None:
    call = track("ProductPage", {"productKey": "A", "price": 2}, messageId="m-1", context={"ip": "1.2.3.4", "a": 1})
    event = one_event(call)
    assert (event.eventId, event.type, event.source, event.context) == (
        "m-1",
        "Product Viewed",
        "track",
        {"a": 1},
    )
    assert event.identity.externalId == "u-1"


def test_track_keeps_segment_ecommerce_properties() -> None:
    props = {"cart_id": "c", "product_id": "A", "price": 9.99, "quantity": 1}
    event = one_event(track("Product Added", props))
    assert (event.type, event.properties) == ("Product Added", props)


def test_track_customer_data_becomes_identify_command() -> None:
    call = track("CustomerData", {"CustomerData": {"user_email": "a@b.co"}}, anonymousId="anon-1")
    [out] = map_call(call, received_at=NOW)
    assert isinstance(out, IdentifyCommand)
    assert (out.externalId, out.anonymousId, out.traits) == ("u-1", "anon-1", {"email": "a@b.co"})


def test_track_with_bad_esputnik_payload_names_the_property() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("ProductPage", {"ProductPage": {"productKey": "A", "price": "x"}}), received_at=NOW)
    assert paths(exc) == ["properties.ProductPage.price"]


def test_track_without_event_or_identity_names_both_fields() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call({"type": "track", "properties": {}}, received_at=NOW)
    assert sorted(paths(exc)) == ["event", "userId"]


def test_event_name_over_100_chars_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("E" * 101, {}), received_at=NOW)
    assert paths(exc) == ["event"]


def test_event_name_follows_orbit_event_type_rules() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("Signed Up!", {}), received_at=NOW)
    assert [(d.path, d.message) for d in exc.value.details] == [("event", "must not contain !")]


def test_call_over_20_kb_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("Big", {"blob": "x" * 21_000}), received_at=NOW)
    assert paths(exc) == ["$"]


def test_group_calls_are_rejected_clearly() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call({"type": "group", "groupId": "g", "userId": "u"}, received_at=NOW)
    assert [(d.path, d.message) for d in exc.value.details] == [("type", "group calls are not supported")]


def test_unknown_top_level_fields_are_ignored() -> None:
    event = one_event(track("Signed Up", {}, version=2, library="x", writeKey="k"))
    assert event.type == "Signed Up"


def test_page_copies_name_category_and_context_page_fields() -> None:
    call = {
        "type": "page",
        "anonymousId": "a-1",
        "name": "Home",
        "category": "Landing",
        "properties": {"title": "Own title"},
        "context": {"page": {"url": "https://x.test/", "path": "/", "title": "Ctx title", "referrer": "r"}},
    }
    event = one_event(call)
    assert (event.type, event.source) == ("Page Viewed", "page")
    assert event.properties == {
        "title": "Own title",
        "name": "Home",
        "category": "Landing",
        "url": "https://x.test/",
        "path": "/",
        "referrer": "r",
    }


def test_screen_is_a_page_view() -> None:
    event = one_event({"type": "screen", "userId": "u", "name": "Settings"})
    assert (event.type, event.source, event.properties) == ("Page Viewed", "screen", {"name": "Settings"})


def test_identify_passes_traits_through() -> None:
    traits = {"email": "a@b.co", "first_name": "Ann", "address": {"city": "Kyiv"}}
    call = {"type": "identify", "userId": 42, "anonymousId": "a", "traits": traits, "messageId": "m"}
    [out] = map_call(call, received_at=NOW)
    assert out == IdentifyCommand(messageId="m", externalId="42", anonymousId="a", traits=traits, timestamp=NOW)


def test_alias_maps_previous_id_to_external_id() -> None:
    [out] = map_call({"type": "alias", "previousId": "anon-1", "userId": "u-1", "messageId": "m"}, received_at=NOW)
    assert out == AliasCommand(messageId="m", previousId="anon-1", externalId="u-1", timestamp=NOW)


def test_alias_needs_previous_id_and_user_id() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call({"type": "alias", "anonymousId": "a"}, received_at=NOW)
    assert paths(exc) == ["previousId", "userId"]


# --- ids and time -----------------------------------------------------------------------------------------


def test_missing_message_id_gives_deterministic_id_ignoring_sent_at() -> None:
    first = one_event(track("Signed Up", {"plan": "pro"}, sentAt="2024-05-01T11:00:00Z"))
    again = one_event(track("Signed Up", {"plan": "pro"}, sentAt="2024-05-01T11:00:09Z"))
    other = one_event(track("Signed Up", {"plan": "free"}))
    assert first.eventId == again.eventId != other.eventId
    assert first.eventId.startswith("seg-") and len(first.eventId) == 4 + 64


def test_clock_skew_is_corrected_with_sent_at() -> None:
    # the client clock runs an hour fast: the event happened 5 s before the client sent it
    call = track("X", {}, originalTimestamp="2024-05-01T13:00:00Z", sentAt="2024-05-01T13:00:05Z")
    assert one_event(call).timestamp == NOW - timedelta(seconds=5)


def test_sent_at_argument_corrects_skew_of_timestamp() -> None:
    call = track("X", {}, timestamp="2024-05-01T09:00:00")
    event = one_event(call, sent_at=datetime(2024, 5, 1, 9, 0, 10))
    assert event.timestamp == NOW - timedelta(seconds=10)


def test_timestamp_without_sent_at_is_kept_and_naive_is_utc() -> None:
    assert one_event(track("X", {}, timestamp="2023-01-02T03:04:05")).timestamp == datetime(
        2023, 1, 2, 3, 4, 5, tzinfo=UTC
    )


def test_missing_timestamp_is_received_at() -> None:
    event = one_event(track("X", {}))
    assert event.timestamp == event.receivedAt == NOW


def test_an_offset_timestamp_becomes_the_same_instant_in_utc() -> None:
    event = one_event(track("X", {}, timestamp="2024-05-01T02:00:00+05:00"))
    assert event.timestamp.tzinfo is UTC and event.timestamp == datetime(2024, 4, 30, 21, tzinfo=UTC)


def test_identify_and_alias_times_are_utc() -> None:
    at = "2024-05-01T02:00:00+05:00"
    [identify] = map_call({"type": "identify", "userId": "u-1", "timestamp": at}, received_at=NOW)
    [alias] = map_call({"type": "alias", "previousId": "a", "userId": "u-1", "timestamp": at}, received_at=NOW)
    assert identify.timestamp.tzinfo is alias.timestamp.tzinfo is UTC


def test_a_batch_sent_at_with_an_offset_corrects_skew_in_utc() -> None:
    body = {"batch": [track("A", {}, timestamp="2024-05-01T09:00:00Z")], "sentAt": "2024-05-01T14:00:30+05:00"}
    [event], _ = map_batch(body, received_at=NOW)
    assert isinstance(event, Event) and event.timestamp == NOW - timedelta(seconds=30)


@pytest.mark.parametrize("field", ["timestamp", "originalTimestamp"])
def test_a_client_time_before_2000_is_rejected_naming_the_field(field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("X", {}, **{field: "0999-11-27T02:00:00+05:00"}), received_at=NOW)
    assert [d.as_dict() for d in exc.value.details] == [{"path": field, "message": "must be 2000-01-01 (UTC) or later"}]


def test_a_clock_reset_to_1970_is_corrected_with_sent_at() -> None:
    call = track("X", {}, timestamp="1970-01-01T00:00:00Z", sentAt="1970-01-01T00:00:05Z")
    assert one_event(call).timestamp == NOW - timedelta(seconds=5)


def test_a_time_still_before_2000_after_the_sent_at_correction_is_rejected() -> None:
    call = track("X", {}, timestamp="1999-05-01T12:00:00Z", sentAt="2024-05-01T12:00:00Z")
    with pytest.raises(InvalidInput) as exc:
        map_call(call, received_at=NOW)
    assert paths(exc) == ["timestamp"] and "sentAt" in exc.value.details[0].message


def test_a_time_whose_offset_leaves_the_calendar_is_a_field_error() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_call(track("X", {}, timestamp="9999-12-31T23:00:00-05:00"), received_at=NOW)
    assert paths(exc) == ["timestamp"]


# --- the future allowance (applied by the ingest edge) ---------------------------------------------------------


def test_an_event_within_the_allowance_keeps_its_time() -> None:
    event = one_event(track("X", {}, timestamp="2024-05-01T12:04:00Z"))
    assert clamp_future(event, NOW, timedelta(minutes=5)) == event


def test_an_event_beyond_the_allowance_is_dated_its_receive_time_and_keeps_the_claimed_time() -> None:
    event = one_event(track("X", {}, timestamp="2024-05-02T08:00:00+02:00", context={"locale": "uk"}))
    clamped = clamp_future(event, NOW, timedelta(minutes=5))
    assert isinstance(clamped, Event) and clamped.timestamp == clamped.receivedAt == NOW
    assert clamped.context == {"locale": "uk", "clientTimestamp": "2024-05-02T06:00:00+00:00"}


def test_an_identify_beyond_the_allowance_is_dated_now() -> None:
    [identify] = map_call({"type": "identify", "userId": "u-1", "timestamp": "2024-05-02T12:00:00Z"}, received_at=NOW)
    assert clamp_future(identify, NOW, timedelta(minutes=5)).timestamp == NOW


# --- batch ---------------------------------------------------------------------------------------------


def test_batch_rejects_bad_calls_and_keeps_good_ones() -> None:
    body = {"batch": [track("A", {}), {"type": "track", "userId": "u"}, "nope", track("B", {})]}
    outputs, rejected = map_batch(body, received_at=NOW)
    assert [o.type for o in outputs if isinstance(o, Event)] == ["A", "B"]
    assert rejected == [
        {"index": 1, "errors": [{"path": "event", "message": "is required for track"}]},
        {"index": 2, "errors": [{"path": "$", "message": "must be an object"}]},
    ]


def test_batch_context_is_merged_under_call_context() -> None:
    body = {
        "batch": [track("A", {}, context={"page": {"url": "u"}, "locale": "uk"})],
        "context": {"library": {"name": "analytics-python"}, "page": {"title": "t"}, "locale": "en"},
    }
    [event], _ = map_batch(body, received_at=NOW)
    assert isinstance(event, Event)
    assert event.context == {
        "library": {"name": "analytics-python"},
        "page": {"title": "t", "url": "u"},
        "locale": "uk",
    }


def test_batch_sent_at_applies_to_every_call() -> None:
    body = {"batch": [track("A", {}, timestamp="2024-05-01T09:00:00Z")], "sentAt": "2024-05-01T09:00:30Z"}
    [event], _ = map_batch(body, received_at=NOW)
    assert isinstance(event, Event) and event.timestamp == NOW - timedelta(seconds=30)


def test_batch_over_500_calls_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_batch({"batch": [track("A", {})] * 501}, received_at=NOW)
    assert paths(exc) == ["batch"]


def test_batch_without_list_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        map_batch({"events": []}, received_at=NOW)
    assert paths(exc) == ["batch"]
