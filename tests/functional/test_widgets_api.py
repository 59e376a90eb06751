"""The widgets API on moto through the Chalice test client: create, read, list, replace with If-Match, delete;
bad input naming each bad field; and the placements a page view gets with the site key (path, frequency,
audience, an inapp template rendered for the visitor the anonymous id resolves to)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.conftest import SITE_KEY, SITE_ORIGIN

POPUP = {
    "id": "newsletter",
    "name": "Newsletter pop-up",
    "kind": "popup",
    "title": "10% off your first order",
    "form": {"fields": ["email", "firstName"], "category": "news"},
    "rules": {"delaySeconds": 3, "everyDays": 7},
}


def create(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = api.json("POST", "/v1/widgets", body)
    assert status == 201, answer
    return answer


def error_paths(answer: dict[str, Any]) -> list[str]:
    return sorted(d["path"] for d in answer["error"]["details"])


def placements(api: Any, path: str = "/", **query: str) -> list[dict[str, Any]]:
    response = api.call("GET", "/v1/placements?" + urlencode({"path": path, **query}), key=SITE_KEY)
    assert response.status_code == 200, response.body
    items: list[dict[str, Any]] = json.loads(response.body)["items"]
    return items


def test_a_created_widget_is_answered_and_read_back(api):
    created = create(api, POPUP)
    assert (created["revision"], created["enabled"], created["rules"]["delaySeconds"]) == (1, True, 3)

    status, read = api.json("GET", "/v1/widgets/newsletter")
    assert (status, read) == (200, created)
    assert api.json("GET", "/v1/widgets")[1]["items"] == [created]


def test_a_replace_raises_the_revision_and_a_stale_if_match_is_a_409(api):
    create(api, POPUP)
    status, changed = api.json("PUT", "/v1/widgets/newsletter", {**POPUP, "enabled": False})
    assert (status, changed["revision"], changed["enabled"]) == (200, 2, False)

    status, answer = api.json("PUT", "/v1/widgets/newsletter", POPUP, headers={"If-Match": "1"})
    assert (status, error_paths(answer)) == (409, ["revision"])


def test_a_deleted_widget_is_gone(api):
    create(api, POPUP)
    assert api.json("DELETE", "/v1/widgets/newsletter") == (200, {"id": "newsletter", "deleted": True})
    assert api.json("GET", "/v1/widgets/newsletter")[0] == 404


def test_the_widgets_api_needs_the_secret_key(api):
    assert api.json("GET", "/v1/widgets", key=SITE_KEY)[0] in (401, 403)


def test_bad_fields_are_each_named(api):
    body = {
        "name": "",
        "kind": "popup",
        "form": {"fields": ["fax"], "submitText": ""},
        "rules": {"delaySeconds": -1, "everyDays": 999, "audience": "vip"},
        "colour": "red",
    }
    status, answer = api.json("POST", "/v1/widgets", body)
    assert status == 400
    assert error_paths(answer) == [
        "colour",
        "form.fields[0]",
        "form.submitText",
        "name",
        "rules.audience",
        "rules.delaySeconds",
        "rules.everyDays",
    ]


def test_a_form_without_email_or_phone_is_named(api):
    status, answer = api.json("POST", "/v1/widgets", {**POPUP, "form": {"fields": ["firstName"]}})
    assert (status, error_paths(answer)) == (400, ["form.fields"])


def test_a_missing_or_wrong_template_and_segment_are_named(api):
    api.json("POST", "/v1/templates", {"id": "sms-hi", "name": "x", "channel": "sms", "content": {"text": "x"}})
    status, answer = api.json(
        "POST",
        "/v1/widgets",
        {"name": "I", "kind": "inapp", "templateId": "sms-hi", "rules": {"audience": "segment", "segmentId": "vips"}},
    )
    assert (status, error_paths(answer)) == (400, ["rules.segmentId", "templateId"])
    assert "not inapp" in str(answer)


def test_a_page_gets_the_widgets_whose_path_rule_matches(api):
    create(api, {**POPUP, "rules": {"pathContains": "/cart", "delaySeconds": 3}})
    create(api, {"id": "off", "name": "Off", "kind": "banner", "text": "x", "enabled": False})

    [placed] = placements(api, "/shop/cart")
    assert placed["id"] == "newsletter"
    assert placed["delaySeconds"] == 3
    assert placed["form"]["fields"][0] == {"name": "email", "label": "Email", "required": True}
    assert placed["form"]["category"] == "news"
    assert placements(api, "/shop/") == []


def test_a_widget_shown_lately_or_submitted_is_left_out(api):
    create(api, POPUP)
    now = int(api.stores.clock.now().timestamp())

    assert placements(api, shown=f"newsletter:{now - 60}") == []
    assert placements(api, submitted="newsletter") == []
    assert [p["id"] for p in placements(api, shown=f"newsletter:{now - 8 * 86400}")] == ["newsletter"]


def test_placements_answer_cors_and_a_short_cache(api):
    create(api, POPUP)
    response = api.call("GET", "/v1/placements?path=/", key=SITE_KEY, headers={"Origin": SITE_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert response.headers["Cache-Control"] == "private, max-age=60"


def test_placements_name_a_bad_path_or_memory(api):
    for query, field in (
        ("path=cart", "path"),
        ("path=/&shown=newsletter:yesterday", "shown"),
        ("path=/&anonymousId=" + "a" * 201, "anonymousId"),
    ):
        status, answer = api.json("GET", f"/v1/placements?{query}", key=SITE_KEY)
        assert (status, error_paths(answer)) == (400, [field])


def test_an_inapp_widget_renders_its_template_for_the_visitor_the_anonymous_id_resolves_to(api):
    content = {"title": "Hi {{ contact.firstName | default('there') }}", "body": "<b>{{ contact.lastName }}</b>"}
    status, _ = api.json("POST", "/v1/templates", {"id": "hello", "name": "Hello", "channel": "inapp",
                                                   "content": content})  # fmt: skip
    assert status == 201
    create(api, {"id": "hi", "name": "Hi", "kind": "inapp", "templateId": "hello", "rules": {"audience": "everyone"}})
    identify = {"userId": "c-1", "anonymousId": "anon-1", "traits": {"firstName": "Olena", "lastName": "<K>"}}
    assert api.json("POST", "/v1/identify", identify, key=SITE_KEY)[0] == 200
    api.drain()

    [placed] = placements(api, anonymousId="anon-1")
    assert placed["content"] == {"title": "Hi Olena", "body": "<b><K></b>", "position": "center"}
    assert placements(api, anonymousId="someone-else")[0]["content"]["title"] == "Hi there"


def test_audience_unknown_leaves_out_a_visitor_who_is_a_known_contact(api):
    create(api, {**POPUP, "rules": {"audience": "unknown"}})
    api.json("POST", "/v1/identify", {"userId": "c-2", "anonymousId": "anon-2", "traits": {}}, key=SITE_KEY)
    api.drain()

    assert placements(api, anonymousId="anon-2") == []
    assert len(placements(api, anonymousId="anon-new")) == 1


def test_audience_segment_shows_to_members_of_the_list_only(api):
    assert api.json("POST", "/v1/lists", {"id": "vip", "name": "VIP"})[0] == 201
    create(api, {**POPUP, "rules": {"audience": "segment", "segmentId": "vip"}})
    for external_id, anonymous_id in (("m-1", "anon-m"), ("o-1", "anon-o")):
        api.json("POST", "/v1/identify", {"userId": external_id, "anonymousId": anonymous_id}, key=SITE_KEY)
    api.drain()
    api.json("POST", "/v1/lists/vip/members", {"externalIds": ["m-1"]})
    api.drain()

    assert [p["id"] for p in placements(api, anonymousId="anon-m")] == ["newsletter"]
    assert placements(api, anonymousId="anon-o") == []


def test_an_inapp_templates_form_keeps_only_the_fields_subscribe_takes(api):
    form = {"fields": [{"name": "email", "label": "Email", "required": True}, {"name": "fields.size", "label": "S"}]}
    template = {"id": "club", "name": "Club", "channel": "inapp", "content": {"title": "Join", "form": form}}
    assert api.json("POST", "/v1/templates", template)[0] == 201
    create(api, {"id": "club", "name": "Club", "kind": "inapp", "templateId": "club"})

    [placed] = placements(api)
    assert [f["name"] for f in placed["form"]["fields"]] == ["email"]
    assert "form" not in placed["content"]


def test_the_docs_curl_examples_run_as_written(api):
    """Each ``curl ... -X POST $ENDPOINT/<path> ... -d '<json>'`` of docs/widgets.md, in order."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "widgets.md").read_text()
    calls = re.findall(r"-X POST \$ENDPOINT(/\S+) .*?-d '(\{.*?\})'", text, re.S)
    assert len(calls) == 4
    for path, body in calls:
        status, answer = api.json("POST", path, json.loads(body))
        assert status == 201, (path, answer)
    api.json("POST", "/v1/identify", {"userId": "c-3", "anonymousId": "anon-3", "traits": {"firstName": "Ann"}},
             key=SITE_KEY)  # fmt: skip
    api.drain()

    assert [p["id"] for p in placements(api, "/cart", anonymousId="anon-new")] == ["newsletter"]
    [welcome] = placements(api, "/", anonymousId="anon-3")
    assert welcome["content"]["title"] == "Welcome back, Ann!"
