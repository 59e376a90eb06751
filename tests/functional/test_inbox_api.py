"""The app inbox API on moto: the shop's server gets a contact's token with its secret key, the app lists, reads
and deletes that contact's inbox messages with the token alone."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.clock import FixedClock

TEMPLATE = {
    "id": "coupon",
    "name": "Coupon",
    "channel": "appinbox",
    "content": {"title": "Hi {{ contact.firstName }}", "body": "SAVE10", "link": "https://shop.example/cart"},
}


def setup(api: Any, expires_in_days: int | None = None) -> None:
    for name in ("ann", "bob"):
        body = {"firstName": name.title(), "channels": [{"type": "appinbox", "value": f"{name}-app"}]}
        assert api.call("PUT", f"/v1/contacts/{name}", body).status_code == 201
    content = {**TEMPLATE["content"], **({"expiresInDays": expires_in_days} if expires_in_days else {})}
    assert api.call("POST", "/v1/templates", {**TEMPLATE, "content": content}).status_code == 201


def send(api: Any, to: str = "ann", request_id: str = "r-1") -> str:
    status, body = api.json(
        "POST", "/v1/messages/send", {"templateId": "coupon", "externalId": to, "externalRequestId": request_id}
    )
    assert status == 201 and body["status"] == "sent" and body["provider"] == "inbox", body
    return str(body["id"])


def token(api: Any, external_id: str = "ann") -> str:
    status, body = api.json("POST", f"/v1/contacts/{external_id}/inbox-token")
    assert status == 200, body
    return str(body["token"])


def as_app(api: Any, method: str, path: str, bearer: str) -> tuple[int, Any]:
    return api.json(method, path, key=None, headers={"Authorization": f"Bearer {bearer}"})


def test_the_app_lists_the_contacts_messages_with_the_unread_count(api):
    setup(api)
    message_id = send(api)
    status, body = as_app(api, "GET", "/v1/inbox", token(api))
    assert status == 200, body
    (item,) = body["items"]
    assert (item["messageId"], item["title"], item["body"], item["read"]) == (message_id, "Hi Ann", "SAVE10", False)
    assert item["link"].startswith("http://") and "/t/c/" in item["link"]  # tracked
    assert (body["unread"], body["cursor"]) == (1, None)


def test_pages_follow_with_the_cursor(api):
    setup(api)
    first, second = send(api, request_id="r-1"), send(api, request_id="r-2")
    bearer = token(api)
    status, page1 = as_app(api, "GET", "/v1/inbox?limit=1", bearer)
    assert status == 200 and page1["cursor"]
    status, page2 = as_app(api, "GET", f"/v1/inbox?limit=1&cursor={page1['cursor']}", bearer)
    assert status == 200
    assert [i["messageId"] for i in page1["items"] + page2["items"]] == [second, first]


def test_a_token_is_for_the_secret_key_only(api):
    setup(api)
    status, _ = api.json("POST", "/v1/contacts/ann/inbox-token", key=None)
    assert status == 401


def test_a_token_for_an_unknown_contact_is_not_found(api):
    setup(api)
    assert api.json("POST", "/v1/contacts/nobody/inbox-token")[0] == 404


def test_no_token_is_unauthorized(api):
    setup(api)
    status, body = api.json("GET", "/v1/inbox", key=None)
    assert status == 401 and body["error"]["details"][0]["path"] == "Authorization"


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/inbox/msg_1/read"), ("DELETE", "/v1/inbox/msg_1")])
def test_reading_and_deleting_need_a_token(api, method, path):
    setup(api)
    assert api.json(method, path, key=None)[0] == 401


def test_a_tampered_token_is_unauthorized(api):
    setup(api)
    bearer = token(api)
    tampered = bearer[:-2] + ("AA" if not bearer.endswith("AA") else "BB")
    assert as_app(api, "GET", "/v1/inbox", tampered)[0] == 401


def test_an_expired_token_is_unauthorized(api, clock: FixedClock):
    setup(api)
    bearer = token(api)
    clock.advance(days=30)
    assert as_app(api, "GET", "/v1/inbox", bearer)[0] == 401


def test_an_api_key_is_not_an_inbox_token(api):
    setup(api)
    assert api.json("GET", "/v1/inbox")[0] == 401  # the secret key as Basic auth


def test_reading_marks_read_and_counts_the_open_once(api):
    setup(api)
    message_id = send(api)
    bearer = token(api)
    status, item = as_app(api, "POST", f"/v1/inbox/{message_id}/read", bearer)
    assert status == 200 and item["read"] and item["readAt"]
    assert as_app(api, "POST", f"/v1/inbox/{message_id}/read", bearer)[0] == 200
    assert as_app(api, "GET", "/v1/inbox", bearer)[1]["unread"] == 0
    status, message = api.json("GET", f"/v1/messages/{message_id}")
    assert message["counters"]["opened"] == 1


def test_reading_announces_message_opened_on_the_appinbox_channel(api):
    setup(api)
    message_id = send(api)
    as_app(api, "POST", f"/v1/inbox/{message_id}/read", token(api))
    api.drain()
    status, activity = api.json("GET", "/v1/contacts/ann/activity")
    (opened,) = [e for e in activity["events"] if e["type"] == "Message Opened"]
    assert opened["properties"]["channel"] == "appinbox" and opened["properties"]["messageId"] == message_id


def test_another_contacts_message_is_not_found(api):
    setup(api)
    message_id = send(api, to="bob")
    bearer = token(api, "ann")
    assert as_app(api, "POST", f"/v1/inbox/{message_id}/read", bearer)[0] == 404
    assert as_app(api, "DELETE", f"/v1/inbox/{message_id}", bearer)[0] == 404
    assert as_app(api, "GET", "/v1/inbox", token(api, "bob"))[1]["unread"] == 1


def test_a_deleted_message_is_gone(api):
    setup(api)
    message_id = send(api)
    bearer = token(api)
    response = api.call("DELETE", f"/v1/inbox/{message_id}", key=None, headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 204
    status, body = as_app(api, "GET", "/v1/inbox", bearer)
    assert (body["items"], body["unread"]) == ([], 0)
    assert as_app(api, "POST", f"/v1/inbox/{message_id}/read", bearer)[0] == 404


def test_expired_messages_are_hidden(api, clock: FixedClock):
    setup(api, expires_in_days=2)
    send(api)
    clock.advance(days=2)
    status, body = as_app(api, "GET", "/v1/inbox", token(api))
    assert status == 200 and (body["items"], body["unread"]) == ([], 0)
