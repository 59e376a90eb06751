"""The consent API on moto: per-channel statuses and subscription categories, shown on the card, written the
way every contact write is (announced: segments on channel consent move), and honoured by sends."""

from __future__ import annotations

from typing import Any

TEMPLATE = {
    "id": "news",
    "name": "News",
    "channel": "email",
    "content": {"from": "Shop <shop@example.com>", "subject": "News", "html": "<p>Hi</p>"},
}


def setup(api: Any) -> None:
    assert api.call("PUT", "/v1/contacts/ann", {"email": "ann@example.com", "phone": "+4915100000001"}).status_code in (
        200,
        201,
    )


def test_consent_defaults_to_subscribed_on_every_channel(api):
    setup(api)
    status, body = api.json("GET", "/v1/contacts/ann/consent")
    assert status == 200, body
    assert body["externalId"] == "ann" and body["categories"] == {}
    assert body["channels"]["email"] == {"status": "subscribed", "at": None, "source": None}
    assert set(body["channels"]) >= {"email", "sms", "telegram", "viber"}
    assert api.json("GET", "/v1/contacts/nobody/consent")[0] == 404


def test_put_sets_channels_and_categories_and_the_card_shows_them(api):
    setup(api)
    status, body = api.json(
        "PUT",
        "/v1/contacts/ann/consent",
        {"channels": {"sms": "unsubscribed"}, "categories": {"newsletter": "subscribed", "offers": "unsubscribed"}},
    )
    assert status == 200, body
    assert body["channels"]["sms"]["status"] == "unsubscribed" and body["channels"]["sms"]["source"] == "api"
    assert body["channels"]["email"]["status"] == "subscribed"
    assert body["categories"]["newsletter"]["status"] == "subscribed"
    assert body["categories"]["offers"]["status"] == "unsubscribed"
    at = body["channels"]["sms"]["at"]
    # a status already held keeps its time and source
    status, again = api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"sms": "unsubscribed"}, "source": "crm"})
    assert status == 200 and again["channels"]["sms"]["at"] == at and again["channels"]["sms"]["source"] == "api"
    status, card = api.json("GET", "/v1/contacts/ann")
    assert card["consent"]["sms"]["status"] == "unsubscribed"
    assert card["consent"]["categories"]["offers"]["status"] == "unsubscribed"


def test_put_refuses_unknown_channels_and_statuses(api):
    setup(api)
    status, body = api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"fax": "unsubscribed"}})
    assert status == 400 and body["error"]["details"][0]["path"] == "channels.fax"
    assert api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"email": "maybe"}})[0] == 400
    assert api.json("PUT", "/v1/contacts/ann/consent", {"bogus": 1})[0] == 400
    assert api.json("PUT", "/v1/contacts/nobody/consent", {"channels": {"email": "subscribed"}})[0] == 404
    assert api.json("GET", "/v1/contacts/ann/consent", key=None)[0] == 401


def test_an_unsubscribed_channel_refuses_sends_and_subscribing_again_allows_them(api):
    setup(api)
    assert api.json("POST", "/v1/templates", TEMPLATE)[0] == 201
    api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"email": "unsubscribed"}})
    status, sent = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert status == 201 and sent["status"] == "failed" and sent["failure"] == "unsubscribed"
    api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"email": "subscribed"}})
    status, sent = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert status == 201 and sent["status"] == "sent"


def test_a_consent_write_moves_segments_on_channel_consent(api):
    setup(api)
    rule = {"channel": "email", "status": "unsubscribed"}
    status, created = api.json("POST", "/v1/segments", {"id": "unsubs", "name": "Unsubscribed", "rule": rule})
    assert status in (200, 201, 202), created
    api.drain()
    api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"email": "unsubscribed"}})
    api.drain()
    status, card = api.json("GET", "/v1/contacts/ann")
    assert "unsubs" in [s["id"] for s in card["segments"] or []], card
