"""Double opt-in on moto: ``POST /v1/subscribe`` with the site key (CORS as the tracking endpoints) makes an
unconfirmed contact and sends one confirmation a day through the send path; the signed link subscribes it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from chalicelib.services.messaging.consent import set_consent
from tests.conftest import SECRET_KEY, SITE_KEY, SITE_ORIGIN

ORIGIN = {"Origin": SITE_ORIGIN}


def subscribe(api: Any, body: dict[str, Any], headers: dict[str, str] | None = None, key: str | None = SITE_KEY) -> Any:
    return api.call("POST", "/v1/subscribe", body, headers={**ORIGIN, **(headers or {})}, key=key)


def outbox(api: Any) -> list[dict[str, Any]]:
    return api.json("GET", "/v1/outbox")[1]["items"]


def confirm_path(api: Any, item: dict[str, Any]) -> str:
    """The confirmation link's path, through the email's click redirect."""
    content = item["content"]
    if "html" not in content:
        (url,) = re.findall(r"https?://\S+", content["text"])
        return urlsplit(url).path
    (tracked,) = [u for u in re.findall(r'href="([^"]+)"', content["html"]) if "/t/c/" in u]
    response = api.call("GET", urlsplit(tracked.replace("&amp;", "&")).path, key=None)
    assert response.status_code in (302, 303), response.body
    return urlsplit(response.headers["Location"]).path


def consent(api: Any, external_id: str) -> dict[str, Any]:
    status, body = api.json("GET", f"/v1/contacts/{external_id}/consent")
    assert status == 200, body
    return body


def test_subscribe_makes_an_unconfirmed_contact_and_the_link_confirms_it(api):
    response = subscribe(api, {"email": "Bea@Example.com", "firstName": "Bea", "categories": ["news"]})
    assert response.status_code == 202, response.body
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    (item,) = outbox(api)
    assert item["to"] == {"email": "bea@example.com"} and item["content"]["from"] == "no-reply@shop.example"
    external_id = item["externalId"]
    assert external_id.startswith("sub_")
    email = consent(api, external_id)["channels"]["email"]
    assert (email["status"], email["reason"], email["source"]) == ("unsubscribed", "unconfirmed", "double-opt-in")
    # not confirmed: campaigns (non-transactional) are refused; the confirmation itself was transactional
    status, message = api.json("GET", f"/v1/messages/{item['messageId']}")
    assert message["transactional"] is True
    status, sent = api.json(
        "POST", "/v1/messages/send", {"templateId": "double-opt-in-email", "externalId": external_id}
    )
    assert sent["status"] == "sent"  # transactional messages go to an unconfirmed contact
    path = confirm_path(api, item)
    assert path.startswith("/v1/subscribe/confirm/")
    page = api.call("GET", path, key=None)
    assert page.status_code == 200 and b"confirmed" in page.body
    after = consent(api, external_id)
    assert after["channels"]["email"]["status"] == "subscribed"
    assert after["channels"]["email"]["source"] == "double-opt-in" and "reason" not in after["channels"]["email"]
    assert after["categories"]["news"]["status"] == "subscribed"
    # confirming again changes nothing
    at = after["channels"]["email"]["at"]
    assert api.call("GET", path, key=None).status_code == 200
    assert consent(api, external_id)["channels"]["email"]["at"] == at
    # subscribed now: a new subscribe sends nothing
    assert subscribe(api, {"email": "bea@example.com"}).status_code == 202
    assert len(outbox(api)) == 2  # the confirmation and the transactional send above


def test_a_repeated_subscribe_sends_one_confirmation_a_day(api):
    for _ in range(3):
        assert subscribe(api, {"email": "cid@example.com"}).status_code == 202
    assert len(outbox(api)) == 1


def test_an_existing_contact_is_found_and_its_profile_kept(api):
    assert api.call("PUT", "/v1/contacts/dan", {"email": "dan@example.com", "firstName": "Dan"}).status_code == 201
    assert subscribe(api, {"email": "dan@example.com", "firstName": "Mallory"}).status_code == 202
    (item,) = outbox(api)
    assert item["externalId"] == "dan"
    assert api.json("GET", "/v1/contacts/dan")[1]["firstName"] == "Dan"
    assert api.call("GET", confirm_path(api, item), key=None).status_code == 200
    assert consent(api, "dan")["channels"]["email"]["status"] == "subscribed"


def test_sms_double_opt_in_uses_the_built_in_text(api):
    assert subscribe(api, {"phone": "+4915100000009"}).status_code == 202
    (item,) = outbox(api)
    assert item["channel"] == "sms" and "/v1/subscribe/confirm/" in item["content"]["text"]
    assert api.call("GET", confirm_path(api, item), key=None).status_code == 200
    assert consent(api, item["externalId"])["channels"]["sms"]["status"] == "subscribed"


def test_a_configured_template_is_used(api):
    template = {
        "id": "double-opt-in-email",
        "name": "DOI",
        "channel": "email",
        "content": {
            "from": "Shop <hello@shop.example>",
            "subject": "Confirm, {{ contact.firstName }}",
            "html": '<a href="{{ vars.confirmUrl }}">Yes</a>',
        },
    }
    assert api.json("POST", "/v1/templates", template)[0] == 201
    subscribe(api, {"email": "eve@example.com", "firstName": "Eve"})
    (item,) = outbox(api)
    assert item["content"]["subject"] == "Confirm, Eve" and item["content"]["from"] == "Shop <hello@shop.example>"


def test_bad_requests_keys_origins_and_tokens(api):
    assert subscribe(api, {"email": "x@example.com"}, key=None).status_code == 401
    assert subscribe(api, {"email": "x@example.com"}, key=SECRET_KEY).status_code in (401, 403)
    assert subscribe(api, {"email": "x@example.com"}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert subscribe(api, {}).status_code == 400
    assert subscribe(api, {"email": "x@example.com", "phone": "+4915100000009"}).status_code == 400
    assert subscribe(api, {"email": "not-an-email"}).status_code == 400
    assert outbox(api) == []
    assert api.call("GET", "/v1/subscribe/confirm/forged.token", key=None).status_code == 400
    preflight = api.call("OPTIONS", "/v1/subscribe", headers=ORIGIN, key=None)
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_a_suppressed_address_gets_no_confirmation(api):
    assert api.call("PUT", "/v1/contacts/fay", {"email": "fay@example.com"}).status_code == 201
    rec = api.stores.contacts.find("email", "fay@example.com")[0]
    set_consent(api.stores, rec.key, "email", "unsubscribed", "ses", reason="bounced", suppressed="fay@example.com")
    assert subscribe(api, {"email": "fay@example.com"}).status_code == 202
    assert outbox(api) == []


def test_the_next_day_sends_another_confirmation_and_an_expired_link_does_nothing(api, clock):
    assert subscribe(api, {"phone": "+4915100000010"}).status_code == 202
    (first,) = outbox(api)
    clock.advance(days=1)
    assert subscribe(api, {"phone": "+4915100000010"}).status_code == 202
    assert len(outbox(api)) == 2
    clock.advance(days=7)
    page = api.call("GET", confirm_path(api, first), key=None)
    assert page.status_code == 400 and b"expired" in page.body, page.body
    assert consent(api, first["externalId"])["channels"]["sms"]["reason"] == "unconfirmed"


def test_new_categories_of_a_confirmed_contact_wait_for_the_link(api):
    assert api.call("PUT", "/v1/contacts/gus", {"email": "gus@example.com"}).status_code == 201
    api.json("PUT", "/v1/contacts/gus/consent", {"channels": {"email": "subscribed"}})
    assert subscribe(api, {"email": "gus@example.com"}).status_code == 202
    assert outbox(api) == []
    assert subscribe(api, {"email": "gus@example.com", "categories": ["offers"]}).status_code == 202
    (item,) = outbox(api)
    shown = consent(api, "gus")
    assert shown["channels"]["email"]["status"] == "subscribed" and shown["categories"] == {}
    assert api.call("GET", confirm_path(api, item), key=None).status_code == 200
    assert consent(api, "gus")["categories"]["offers"]["status"] == "subscribed"
