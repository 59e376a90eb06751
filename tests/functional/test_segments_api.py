"""The segments API on moto through the Chalice test client: create and compute, real-time entering with its
event, count and members, preview, explain, edits, errors with paths, and the contact card's memberships."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.services.segments.registry import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "segments.md"
HAS_EMAIL = {"field": "email", "op": "isSet"}
VIEWED_SHOES = {
    "event": "Product Viewed",
    "where": [{"property": "category", "op": "eq", "value": "Shoes"}],
    "within": {"days": 7},
}


def contact(api: Any, external_id: str, **body: Any) -> None:
    assert api.call("PUT", f"/v1/contacts/{external_id}", body).status_code in (200, 201)


def view_shoes(api: Any, external_id: str) -> None:
    sent = {"events": [{"type": "Product Viewed", "externalId": external_id, "properties": {"category": "Shoes"}}]}
    assert api.call("POST", "/v1/events", sent).status_code == 202
    api.drain()
    api.drain()  # the Segment Entered event it published


def create(api: Any, rule: dict[str, Any], segment_id: str = "s", **extra: Any) -> dict[str, Any]:
    REGISTRY.invalidate()
    status, body = api.json("POST", "/v1/segments", {"id": segment_id, "name": segment_id, "rule": rule, **extra})
    assert status == 201, body
    api.drain()
    return body


def test_a_created_segment_computes_and_serves_its_members(api):
    contact(api, "ann", email="ann@example.com")
    contact(api, "bob")
    created = create(api, HAS_EMAIL)
    assert created["status"] == "computing"
    status, shown = api.json("GET", "/v1/segments/s")
    assert status == 200 and shown["status"] == "ready" and shown["members"] == 1
    assert api.json("GET", "/v1/segments/s/members")[1]["items"][0]["externalId"] == "ann"
    assert api.json("GET", "/v1/segments/s/count")[1]["count"] == 1


def test_an_event_enters_a_contact_and_logs_segment_entered(api):
    contact(api, "ann")
    create(api, VIEWED_SHOES)
    view_shoes(api, "ann")
    assert api.json("GET", "/v1/segments/s/count")[1]["count"] == 1
    activity = api.json("GET", "/v1/contacts/ann/activity")[1]
    entered = [e for e in activity["events"] if e["type"] == "Segment Entered"]
    assert [e["properties"]["segmentId"] for e in entered] == ["s"]


def test_the_contact_card_lists_its_segments(api):
    contact(api, "ann", email="ann@example.com")
    create(api, HAS_EMAIL)
    card = api.json("GET", "/v1/contacts/ann")[1]
    assert [m["id"] for m in card["segments"]] == ["s"]


def test_a_bad_rule_is_a_400_naming_each_bad_part(api):
    rule = {"all": [HAS_EMAIL, {"event": "X", "within": {"days": 0}}, {"orders": "count", "op": "eq"}]}
    status, body = api.json("POST", "/v1/segments", {"name": "bad", "rule": rule})
    assert status == 400
    assert [d["path"] for d in body["error"]["details"]] == ["rule.all[1].within.days", "rule.all[2]"]


def test_preview_answers_size_and_sample_without_saving(api):
    contact(api, "ann", email="ann@example.com")
    status, body = api.json("POST", "/v1/segments/preview", {"rule": HAS_EMAIL})
    assert status == 200 and (body["count"], body["sample"], body["complete"]) == (1, ["ann"], True)
    assert api.json("GET", "/v1/segments")[1]["items"] == []


def test_explain_says_why_and_when_it_may_change(api):
    contact(api, "ann")
    create(api, VIEWED_SHOES)
    view_shoes(api, "ann")
    status, body = api.json("GET", "/v1/segments/s/explain/ann")
    assert status == 200 and body["member"] and body["memberSince"] and body["nextChange"]
    assert body["conditions"][0]["path"] == "rule"


def test_a_stale_if_match_is_a_409(api):
    created = create(api, HAS_EMAIL)
    body = {"id": "s", "name": "renamed", "rule": HAS_EMAIL}
    stale = str(created["revision"] - 1)
    assert api.call("PUT", "/v1/segments/s", body, headers={"If-Match": stale}).status_code == 409


def test_deleting_a_segment_another_names_is_a_409(api):
    create(api, HAS_EMAIL, "a")
    create(api, {"inSegment": "a"}, "b")
    status, body = api.json("DELETE", "/v1/segments/a")
    assert status == 409 and "b" in body["error"]["details"][0]["message"]


def test_segments_can_be_filtered_by_tag(api):
    create(api, HAS_EMAIL, "a", tags=["shoes"])
    create(api, HAS_EMAIL, "b")
    assert [s["id"] for s in api.json("GET", "/v1/segments?tag=shoes")[1]["items"]] == ["a"]


def test_the_docs_example_segment_is_accepted(api):
    assert api.json("POST", "/v1/lists", {"id": "vip", "name": "VIP"})[0] == 201
    text = DOCS.read_text()
    block = re.search(r"<!-- example: segment -->\n```json\n(.*?)```", text, re.S)
    assert block is not None
    example = json.loads(block.group(1))
    status, body = api.json("POST", "/v1/segments", example)
    assert status == 201, body
    assert body["id"] == "shoe-lovers"
