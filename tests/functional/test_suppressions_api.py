"""The suppressions API on moto: operators add, list (paged) and lift suppressed addresses with the secret key."""

from __future__ import annotations

from urllib.parse import quote


def test_put_normalises_and_get_lists_the_channel_in_pages(api):
    status, body = api.json("PUT", "/v1/suppressions/email/Ann@Example.com", {"reason": "asked us"})
    assert status == 200, body
    assert (body["address"], body["reason"], body["source"]) == ("ann@example.com", "asked us", "api")
    api.json("PUT", "/v1/suppressions/email/bob@example.com", {"reason": "typo"})
    api.json("PUT", f"/v1/suppressions/sms/{quote('+380501234567')}", {"reason": "complaint"})
    status, first = api.json("GET", "/v1/suppressions?channel=email&limit=1")
    assert status == 200 and [i["address"] for i in first["items"]] == ["ann@example.com"]
    second = api.json("GET", f"/v1/suppressions?channel=email&limit=1&cursor={first['cursor']}")[1]
    assert [i["address"] for i in second["items"]] == ["bob@example.com"]
    sms = api.json("GET", "/v1/suppressions?channel=sms")[1]
    assert [i["address"] for i in sms["items"]] == ["+380501234567"]


def test_delete_lifts_and_a_second_delete_is_404(api):
    api.json("PUT", "/v1/suppressions/email/ann@example.com", {"reason": "typo"})
    status, body = api.json("DELETE", "/v1/suppressions/email/ann@example.com")
    assert status == 200 and body["lifted"]["reason"] == "typo"
    assert api.json("GET", "/v1/suppressions?channel=email")[1]["items"] == []
    assert api.json("DELETE", "/v1/suppressions/email/ann@example.com")[0] == 404


def test_bad_input_names_the_field(api):
    status, body = api.json("PUT", "/v1/suppressions/push/ann@example.com", {"reason": "x"})
    assert status == 400 and [d["path"] for d in body["error"]["details"]] == ["channel"]
    status, body = api.json("PUT", "/v1/suppressions/email/ann@example.com", {})
    assert status == 400 and [d["path"] for d in body["error"]["details"]] == ["reason"]
    assert api.json("GET", "/v1/suppressions?channel=webpush")[0] == 400


def test_the_list_needs_the_secret_key(api):
    assert api.call("GET", "/v1/suppressions", key=None).status_code == 401
