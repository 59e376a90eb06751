"""The templates API on moto through the Chalice test client: create, read, list by channel and tag, replace with
If-Match, delete; errors naming fields and template lines; previews for a stored contact and for sample data;
and docs/templates.md's JSON examples, run as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "templates.md"
EMAIL = {"from": "Shop <shop@example.com>", "subject": "Hi {{ contact.firstName }}", "html": "<p>Hi</p>"}


def create(api: Any, template_id: str, channel: str = "email", content: dict[str, Any] | None = None, **extra: Any):
    body = {"id": template_id, "name": template_id, "channel": channel, "content": content or EMAIL, **extra}
    status, answer = api.json("POST", "/v1/templates", body)
    assert status == 201, answer
    return answer


def error_paths(answer: dict[str, Any]) -> list[str]:
    return sorted(d["path"] for d in answer["error"]["details"])


def test_a_created_template_is_answered_and_read_back(api):
    created = create(api, "welcome", tags=["onboarding"], versions={"uk": {"subject": "Привіт"}})
    assert created["revision"] == 1
    assert created["languages"] == ["en", "uk"]
    assert created["content"] == EMAIL
    assert created["sms"] is None

    status, read = api.json("GET", "/v1/templates/welcome")
    assert (status, read) == (200, created)


def test_an_id_is_made_from_the_name_when_absent(api):
    status, answer = api.json(
        "POST", "/v1/templates", {"name": "Cart Reminder #1", "channel": "sms", "content": {"text": "Hi"}}
    )
    assert (status, answer["id"]) == (201, "cart-reminder-1")
    assert api.json("POST", "/v1/templates", {"name": "Cart Reminder #1", "channel": "sms", "content": {"text": "x"}})[
        1
    ]["id"].startswith("cart-reminder-1-")


def test_a_taken_id_is_a_409(api):
    create(api, "welcome")
    status, answer = api.json(
        "POST", "/v1/templates", {"id": "welcome", "name": "x", "channel": "sms", "content": {"text": "x"}}
    )
    assert (status, error_paths(answer)) == (409, ["id"])


def test_an_sms_template_answers_its_length_per_language(api):
    created = create(api, "code", "sms", {"text": "Your code: 1234"}, versions={"uk": {"text": "Ваш код: 1234 🔑"}})
    assert created["sms"]["en"] == {
        "encoding": "GSM-7",
        "characters": 15,
        "length": 15,
        "segments": 1,
        "perSegment": 160,
        "remaining": 145,
    }
    assert created["sms"]["uk"]["encoding"] == "UCS-2"
    assert created["sms"]["uk"]["length"] == 16  # the emoji counts 2


def test_bad_content_is_a_400_naming_each_field(api):
    body = {"name": "x", "channel": "email", "content": {"from": "nope", "subject": "", "html": "<p>", "bcc": "x"}}
    status, answer = api.json("POST", "/v1/templates", body)
    assert (status, error_paths(answer)) == (400, ["content.bcc", "content.from", "content.subject"])


def test_a_template_syntax_error_is_a_400_naming_the_field_and_line(api):
    html = "<p>Hi</p>\n<p>{{ contact.firstName </p>"
    body = {
        "name": "x",
        "channel": "email",
        "content": {**EMAIL, "html": html},
        "versions": {"uk": {"subject": "{% if %}"}},
    }
    status, answer = api.json("POST", "/v1/templates", body)
    assert status == 400
    details = {d["path"]: d["message"] for d in answer["error"]["details"]}
    assert sorted(details) == ["content.html", "versions.uk.subject"]
    assert details["content.html"].startswith("line 2: ")
    assert details["versions.uk.subject"].startswith("line 1: ")
    assert api.json("GET", "/v1/templates")[1]["items"] == []


def test_templates_are_listed_by_channel_and_tag(api):
    create(api, "a", tags=["promo"])
    create(api, "b", "sms", {"text": "x"}, tags=["promo"])
    create(api, "c")
    assert [t["id"] for t in api.json("GET", "/v1/templates")[1]["items"]] == ["a", "b", "c"]
    assert [t["id"] for t in api.json("GET", "/v1/templates?channel=email")[1]["items"]] == ["a", "c"]
    assert [t["id"] for t in api.json("GET", "/v1/templates?channel=email&tag=promo")[1]["items"]] == ["a"]
    listed = api.json("GET", "/v1/templates?tag=promo")[1]["items"][1]
    assert listed == {
        "id": "b",
        "name": "b",
        "channel": "sms",
        "tags": ["promo"],
        "description": None,
        "languages": ["en"],
        "revision": 1,
        "createdAt": listed["createdAt"],
        "updatedAt": listed["updatedAt"],
    }
    status, answer = api.json("GET", "/v1/templates?channel=fax")
    assert (status, error_paths(answer)) == (400, ["channel"])


def test_a_replacement_raises_the_revision_and_a_stale_if_match_is_a_409(api):
    create(api, "welcome")
    body = {"name": "Welcome", "channel": "email", "content": {**EMAIL, "subject": "New"}}
    status, answer = api.json("PUT", "/v1/templates/welcome", body, headers={"If-Match": "1"})
    assert (status, answer["revision"], answer["content"]["subject"]) == (200, 2, "New")
    status, answer = api.json("PUT", "/v1/templates/welcome", body, headers={"If-Match": "1"})
    assert (status, error_paths(answer)) == (409, ["revision"])
    status, answer = api.json("PUT", "/v1/templates/welcome", body, headers={"If-Match": "two"})
    assert (status, error_paths(answer)) == (400, ["If-Match"])


def test_a_replacement_cannot_change_the_channel_or_id_or_reach_a_missing_template(api):
    create(api, "welcome")
    sms = {"name": "x", "channel": "sms", "content": {"text": "x"}}
    assert error_paths(api.json("PUT", "/v1/templates/welcome", sms)[1]) == ["channel"]
    assert error_paths(
        api.json("PUT", "/v1/templates/welcome", {**sms, "channel": "email", "content": EMAIL, "id": "x"})[1]
    ) == ["id"]
    assert api.json("PUT", "/v1/templates/missing", sms)[0] == 404


def test_a_deleted_template_is_gone(api):
    create(api, "welcome")
    assert api.json("DELETE", "/v1/templates/welcome") == (200, {"id": "welcome", "deleted": True})
    assert api.json("GET", "/v1/templates/welcome")[0] == 404
    assert api.json("DELETE", "/v1/templates/welcome")[0] == 404


def test_the_api_needs_a_secret_key(api):
    from tests.conftest import SITE_KEY

    assert api.call("GET", "/v1/templates", key=None).status_code == 401
    assert api.call("GET", "/v1/templates", key=SITE_KEY).status_code == 403


# --- previews --------------------------------------------------------------------------------------------------


def test_a_preview_renders_for_a_stored_contact_in_its_language(api):
    api.call("PUT", "/v1/contacts/u-1", {"firstName": "Olena", "languageCode": "uk-UA", "fields": {}})
    create(api, "welcome", versions={"uk": {"subject": "Привіт, {{ contact.firstName }}"}})
    status, answer = api.json("POST", "/v1/templates/welcome/preview", {"externalId": "u-1"})
    assert status == 200, answer
    assert (answer["language"], answer["content"]["subject"], answer["content"]["text"]) == (
        "uk",
        "Привіт, Olena",
        "Hi",
    )
    assert answer["content"]["html"] == "<html><head></head><body><p>Hi</p></body></html>"
    status, answer = api.json("POST", "/v1/templates/welcome/preview", {"externalId": "u-1", "language": "en"})
    assert (answer["language"], answer["content"]["subject"]) == ("en", "Hi Olena")


def test_a_preview_takes_sample_data_alone_or_beside_a_stored_contact(api):
    api.call("PUT", "/v1/contacts/u-1", {"firstName": "Ann"})
    content = {"text": "{{ contact.firstName }}: {{ products[0].name }} {{ event.orderId }}"}
    create(api, "sms", "sms", content)
    product = {"id": "p-1", "name": "Runner"}
    sample = {"contact": {"firstName": "Sam"}, "products": [product], "event": {"orderId": "o-1"}}
    answer = api.json("POST", "/v1/templates/sms/preview", {"sample": sample})[1]
    assert answer["content"] == {"text": "Sam: Runner o-1"}
    assert answer["sms"] == {
        "encoding": "GSM-7",
        "characters": 15,
        "length": 15,
        "segments": 1,
        "perSegment": 160,
        "remaining": 145,
    }
    both = {"externalId": "u-1", "sample": {"products": [product], "event": {"orderId": "o-2"}}}
    assert api.json("POST", "/v1/templates/sms/preview", both)[1]["content"] == {"text": "Ann: Runner o-2"}


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, ["$"]),
        ({"externalId": "u-1", "sample": {"contact": {}}}, ["$"]),
        ({"sample": {"products": [{"id": "p"}] * 7}}, ["sample.products"]),
        ({"sample": {"contact": {"nickname": "x"}}}, ["sample.contact.nickname"]),
        ({"sample": {}, "language": "de"}, ["language"]),
    ],
)
def test_a_bad_preview_request_is_a_400_naming_the_field(api, body, paths):
    create(api, "welcome")
    status, answer = api.json("POST", "/v1/templates/welcome/preview", body)
    assert (status, error_paths(answer)) == (400, paths)


def test_a_preview_for_an_unknown_contact_or_template_is_a_404(api):
    create(api, "welcome")
    assert api.json("POST", "/v1/templates/welcome/preview", {"externalId": "nobody"})[0] == 404
    assert api.json("POST", "/v1/templates/missing/preview", {"sample": {}})[0] == 404


def test_a_template_that_does_not_render_is_a_422_with_the_reason(api):
    create(api, "welcome", content={**EMAIL, "html": "<p>{{ event.cart.total }}</p>"})
    status, answer = api.json("POST", "/v1/templates/welcome/preview", {"sample": {}})
    assert status == 422
    assert answer["error"]["code"] == "render_failed"
    assert answer["error"]["details"] == [
        {"path": "html", "message": "html: line 1: 'dict object' has no attribute 'cart'"}
    ]


def test_a_sandbox_escape_is_refused_in_a_preview(api):
    create(api, "escape", "sms", {"text": "{{ ''.__class__.__mro__ }}"})
    status, answer = api.json("POST", "/v1/templates/escape/preview", {"sample": {}})
    assert (status, answer["error"]["code"]) == (422, "render_failed")
    assert "not allowed" in answer["error"]["details"][0]["message"]


def test_the_templates_routes_are_in_the_openapi_document_with_their_statuses(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    preview = doc["paths"]["/v1/templates/{id}/preview"]["post"]
    assert preview["tags"] == ["Templates"]
    assert {"200", "400", "404", "422"} <= set(preview["responses"])
    assert "409" in doc["paths"]["/v1/templates"]["post"]["responses"]


# --- docs/templates.md -----------------------------------------------------------------------------------------


def doc_json(kind: str, name: str) -> Any:
    """The JSON block after ``<!-- kind: name -->`` in docs/templates.md."""
    found = re.search(rf"<!-- {kind}: {name} -->\n```json\n(.*?)```", DOC.read_text(), re.S)
    assert found is not None, f"no {kind} {name!r} in {DOC.name}"
    return json.loads(found.group(1))


def shows(shown: Any, actual: Any, path: str = "$") -> None:
    """``actual`` holds what the doc shows: every key shown with the value shown (a string ending in ``...``: its
    start), lists item by item."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), path
        for key, value in shown.items():
            assert key in actual, f"{path}.{key} is not in the answer"
            shows(value, actual[key], f"{path}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list) and len(actual) == len(shown), f"{path}: {actual!r}"
        for i, (s, a) in enumerate(zip(shown, actual, strict=True)):
            shows(s, a, f"{path}[{i}]")
    elif isinstance(shown, str) and shown.endswith("..."):
        assert isinstance(actual, str) and actual.startswith(shown[:-3]), f"{path}: {actual!r}"
    else:
        assert shown == actual, f"{path}: the doc shows {shown!r}, the API answers {actual!r}"


def test_the_docs_tasks_run_as_written(api):
    # GIVEN the doc's contacts: Ann (en-GB) and Olena (uk-UA)
    assert api.call("PUT", "/v1/contacts/u-42", {"firstName": "Ann", "languageCode": "en-GB"}).status_code == 201
    assert api.call("PUT", "/v1/contacts/u-43", {"firstName": "Олена", "languageCode": "uk-UA"}).status_code == 201

    # write the welcome email; a broken one is a 400 naming fields and lines
    status, created = api.json("POST", "/v1/templates", doc_json("example", "create welcome"))
    assert (status, created["id"], created["revision"], created["languages"]) == (201, "welcome", 1, ["en"])
    status, answer = api.json("POST", "/v1/templates", doc_json("example", "create broken"))
    assert status == 400
    shows(doc_json("answer", "create broken"), answer)

    # preview it for Ann with a product
    status, answer = api.json("POST", "/v1/templates/welcome/preview", doc_json("example", "preview welcome"))
    assert status == 200, answer
    shows(doc_json("answer", "preview welcome"), answer)
    assert '<h1 style="color: #ff6600;">Welcome, Ann!</h1>' in answer["content"]["html"]
    assert '<span class="price" style="font-weight: bold;">59.90 EUR</span>' in answer["content"]["html"]

    # a Ukrainian version, found for Olena by her base language
    replaced = doc_json("example", "replace welcome")
    status, answer = api.json("PUT", "/v1/templates/welcome", replaced, headers={"If-Match": "1"})
    assert (status, answer["revision"], answer["languages"]) == (200, 2, ["en", "uk"])
    status, answer = api.json("POST", "/v1/templates/welcome/preview", doc_json("example", "preview olena"))
    assert status == 200, answer
    shows(doc_json("answer", "preview olena"), answer)
    assert "preheader" not in answer["content"]  # null in the version: absent in Ukrainian

    # an SMS's length as written and as rendered
    status, answer = api.json("POST", "/v1/templates", doc_json("example", "create sms"))
    assert status == 201, answer
    shows(doc_json("answer", "create sms"), answer)
    status, answer = api.json("POST", "/v1/templates/order-shipped/preview", doc_json("example", "preview sms"))
    assert status == 200, answer
    shows(doc_json("answer", "preview sms"), answer)

    # a template that does not render for some data
    status, answer = api.json("POST", "/v1/templates/order-shipped/preview", doc_json("example", "preview broken"))
    assert status == 422
    shows(doc_json("answer", "preview broken"), answer)


def test_every_json_block_of_the_doc_is_run():
    text = DOC.read_text()
    marked = re.findall(r"<!-- (example|answer): ([^>]+) -->\n```json\n", text)
    assert len(marked) == text.count("```json\n")  # no block without a marker
    examples = ["create welcome", "create broken", "preview welcome", "replace welcome", "preview olena"]
    examples += ["create sms", "preview sms", "preview broken", "test welcome"]  # test: test_template_trials.py
    answers = ["create broken", "preview welcome", "preview olena", "create sms", "preview sms", "preview broken"]
    answers += ["test welcome"]
    assert sorted(marked) == sorted([("example", n) for n in examples] + [("answer", n) for n in answers])
