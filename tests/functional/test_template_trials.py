"""``POST /v1/templates/{id}/test`` on moto through the Chalice test client: a test to an address lands in the
sandbox outbox marked "[Test] ", its message recorded with origin ``test``; bad recipients are 400s naming the
field; the eleventh test of a template in a minute is a 429 (the count on the messages table); the route is in
the OpenAPI document; docs/templates.md's test send runs as written."""

from __future__ import annotations

import json
from typing import Any

from tests.functional.test_templates_api import doc_json, shows

EMAIL = {"from": "Shop <shop@example.com>", "subject": "Hi {{ contact.firstName }}", "html": "<p>Hi</p>"}


def welcome(api: Any) -> None:
    body = {"id": "welcome", "name": "welcome", "channel": "email", "content": EMAIL}
    assert api.json("POST", "/v1/templates", body)[0] == 201


def test_a_test_send_lands_marked_and_recorded_as_a_test(api):
    welcome(api)
    body = {"to": "me@shop.example", "sample": {"contact": {"firstName": "Tess"}}}
    status, answer = api.json("POST", "/v1/templates/welcome/test", body)
    assert (status, answer["status"], answer["to"]) == (200, "sent", {"email": "me@shop.example"})
    status, outbox = api.json("GET", "/v1/outbox")
    assert [i["content"]["subject"] for i in outbox["items"]] == ["[Test] Hi Tess"]
    stored = api.stores.messages.message(answer["messageId"])
    assert stored is not None and stored.origin == "test"


def test_bad_recipients_name_the_field(api):
    welcome(api)
    status, answer = api.json("POST", "/v1/templates/welcome/test", {"to": "nobody"})
    assert (status, [d["path"] for d in answer["error"]["details"]]) == (400, ["to"])
    status, answer = api.json("POST", "/v1/templates/welcome/test", {})
    assert status == 400


def test_the_eleventh_test_in_a_minute_is_a_429(api):
    welcome(api)
    statuses = [api.json("POST", "/v1/templates/welcome/test", {"to": "me@shop.example"})[0] for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_the_route_is_in_the_openapi_document(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    found = doc["paths"]["/v1/templates/{id}/test"]["post"]
    assert found["tags"] == ["Templates"]
    assert {"200", "400", "404", "422", "429"} <= set(found["responses"])


def test_the_docs_test_send_runs_as_written(api):
    assert api.json("POST", "/v1/templates", doc_json("example", "create welcome"))[0] == 201
    status, answer = api.json("POST", "/v1/templates/welcome/test", doc_json("example", "test welcome"))
    assert status == 200, answer
    shows(doc_json("answer", "test welcome"), answer)
    outbox = api.json("GET", "/v1/outbox")[1]
    assert [i["content"]["subject"] for i in outbox["items"]] == ["[Test] Welcome, Ann!"]
