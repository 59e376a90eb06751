"""Lists API (docs/lists.md): create, read, change, delete; members added and removed at once, with per-row
errors; members page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.contacts.record import KIND_ALIAS, ContactRecord
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation, SegmentDef
from chalicelib.services.segments import lists
from tests.conftest import NOW

CREATED = "2026-11-01T10:00:00.000Z"
LIST = {"id": "vip", "name": "VIP customers", "tags": ["loyalty"], "description": "Picked by sales"}


def known(stores: Ports, *external_ids: str) -> None:
    for external_id in external_ids:
        stores.contacts.save(
            ContactRecord(
                key=f"x#{external_id}", created_at="2026-11-01T10:00:00.000Z", updated_at="2026-11-01T10:00:00.000Z"
            ),
            None,
        )


@pytest.fixture
def vip(api):
    status, _ = api.json("POST", "/v1/lists", LIST)
    assert status == 201
    return api


def members(api, list_id: str = "vip") -> dict[str, str | None]:
    status, page = api.json("GET", f"/v1/lists/{list_id}/members?limit=500")
    assert status == 200 and page["nextCursor"] is None
    return {m["externalId"]: m["since"] for m in page["items"]}


# --- definitions ---------------------------------------------------------------------------------------------


def test_create_answers_201_with_the_list_and_no_members(api):
    status, body = api.json("POST", "/v1/lists", LIST)
    assert status == 201
    assert body == {
        **LIST,
        "memberCount": 0,
        "createdAt": "2026-11-27T12:00:00.000Z",
        "updatedAt": "2026-11-27T12:00:00.000Z",
    }


def test_create_without_an_id_makes_one_from_the_name(api):
    status, body = api.json("POST", "/v1/lists", {"name": "Black Friday 2026 attendees!"})
    assert status == 201 and body["id"] == "black-friday-2026-attendees"


def test_create_with_a_taken_id_is_409(vip):
    status, body = vip.json("POST", "/v1/lists", LIST)
    assert status == 409 and body["error"]["details"][0]["path"] == "id"


def test_create_with_a_bad_id_is_400_naming_it(api):
    status, body = api.json("POST", "/v1/lists", {"id": "Not OK", "name": "x"})
    assert status == 400 and body["error"]["details"][0]["path"] == "id"


def test_all_lists_come_with_member_counts_oldest_first(vip, clock):
    known(vip.stores, "u-1", "u-2")
    clock.advance(seconds=1)
    vip.json("POST", "/v1/lists", {"id": "testers", "name": "Testers"})
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", "u-2"]})
    status, body = vip.json("GET", "/v1/lists")
    assert status == 200
    assert [(item["id"], item["memberCount"]) for item in body["items"]] == [("vip", 2), ("testers", 0)]


def test_all_lists_filter_by_tag(vip):
    vip.json("POST", "/v1/lists", {"id": "testers", "name": "Testers", "tags": ["qa"]})
    status, body = vip.json("GET", "/v1/lists?tag=qa")
    assert status == 200 and [item["id"] for item in body["items"]] == ["testers"]


def test_lists_do_not_include_segments(vip):
    vip.stores.segments.create_segment(SegmentDef(id="everyone", kind="segment", name="Everyone", rule={"all": []}))
    status, body = vip.json("GET", "/v1/lists")
    assert [item["id"] for item in body["items"]] == ["vip"]
    assert vip.json("GET", "/v1/lists/everyone")[0] == 404


def test_get_answers_the_list(vip):
    status, body = vip.json("GET", "/v1/lists/vip")
    assert status == 200 and body["name"] == "VIP customers" and body["memberCount"] == 0


def test_get_an_unknown_list_is_404(api):
    status, body = api.json("GET", "/v1/lists/nope")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_patch_renames_and_keeps_what_it_leaves_out(vip, clock):
    clock.advance(minutes=5)
    status, body = vip.json("PATCH", "/v1/lists/vip", {"name": "VIPs"})
    assert status == 200
    assert (body["name"], body["tags"], body["description"]) == ("VIPs", ["loyalty"], "Picked by sales")
    assert body["updatedAt"] == "2026-11-27T12:05:00.000Z" and body["createdAt"] == "2026-11-27T12:00:00.000Z"


def test_patch_replaces_tags_and_null_removes_the_description(vip):
    status, body = vip.json("PATCH", "/v1/lists/vip", {"tags": ["gold", "gold", "q4"], "description": None})
    assert status == 200 and body["tags"] == ["gold", "q4"] and body["description"] is None


def test_patch_cannot_change_the_id(vip):
    status, body = vip.json("PATCH", "/v1/lists/vip", {"id": "vip2"})
    assert status == 400 and body["error"]["details"][0]["path"] == "id"


def test_patch_refuses_unknown_fields(vip):
    status, body = vip.json("PATCH", "/v1/lists/vip", {"rule": {}})
    assert status == 400 and body["error"]["details"][0]["path"] == "rule"


def test_delete_removes_the_list_and_its_memberships(vip):
    known(vip.stores, "u-1")
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1"]})
    status, body = vip.json("DELETE", "/v1/lists/vip")
    assert status == 200 and body == {"id": "vip", "membersRemoved": 1}
    assert vip.json("GET", "/v1/lists/vip")[0] == 404
    assert vip.stores.memberships.count(Generation("vip", 0)) == 0
    assert vip.stores.memberships.for_contact("x#u-1") == []


def test_delete_is_refused_while_a_segment_names_the_list(vip):
    vip.stores.segments.create_segment(
        SegmentDef(id="vip-shoppers", kind="segment", name="VIP shoppers", rule={"all": [{"inList": "vip"}]})
    )
    status, body = vip.json("DELETE", "/v1/lists/vip")
    assert status == 409 and "vip-shoppers" in body["error"]["details"][0]["message"]
    assert vip.json("GET", "/v1/lists/vip")[0] == 200


# --- members at once -----------------------------------------------------------------------------------------


def test_adding_answers_what_it_did(vip):
    known(vip.stores, "u-1", "u-2")
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", "u-2"]})
    assert status == 200 and body == {"added": 2, "unchanged": 0, "failed": 0, "errors": []}
    assert members(vip) == {"u-1": "2026-11-27T12:00:00.000Z", "u-2": "2026-11-27T12:00:00.000Z"}
    assert vip.json("GET", "/v1/lists/vip")[1]["memberCount"] == 2


def test_adding_a_member_again_is_unchanged_and_keeps_since(vip, clock):
    known(vip.stores, "u-1")
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1"]})
    clock.advance(days=1)
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1"]})
    assert body == {"added": 0, "unchanged": 1, "failed": 0, "errors": []}
    assert members(vip) == {"u-1": "2026-11-27T12:00:00.000Z"}


def test_the_same_id_twice_in_a_request_counts_once(vip):
    known(vip.stores, "u-1")
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", "u-1", "u-1"]})
    assert body == {"added": 1, "unchanged": 0, "failed": 0, "errors": []}
    assert vip.json("GET", "/v1/lists/vip")[1]["memberCount"] == 1


def test_an_unknown_contact_is_a_row_error_and_the_others_are_added(vip):
    known(vip.stores, "u-1")
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["nobody", "u-1"]})
    assert status == 200 and (body["added"], body["failed"]) == (1, 1)
    assert body["errors"] == [
        {
            "index": 0,
            "externalId": "nobody",
            "message": "No contact with External ID 'nobody' (lists hold known contacts only)",
        }
    ]
    assert members(vip).keys() == {"u-1"}


def test_a_malformed_external_id_is_a_row_error(vip):
    known(vip.stores, "u-1")
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", " u-1", ""]})
    assert (body["added"], body["failed"]) == (1, 2)
    assert [(e["index"], e["externalId"]) for e in body["errors"]] == [(1, " u-1"), (2, "")]
    assert "outer spaces" in body["errors"][0]["message"] and "required" in body["errors"][1]["message"]


def test_a_merged_contact_is_a_row_error_naming_the_one_that_stays(vip):
    known(vip.stores, "u-1")
    vip.stores.contacts.save(ContactRecord(key="x#old-1", kind=KIND_ALIAS, merged_into="x#u-1"), None)
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["old-1"]})
    assert body["failed"] == 1 and "merged into the contact with External ID 'u-1'" in body["errors"][0]["message"]
    assert members(vip) == {}


def test_removing_answers_what_it_did(vip):
    known(vip.stores, "u-1", "u-2", "u-3")
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", "u-2"]})
    status, body = vip.json("POST", "/v1/lists/vip/members/remove", {"externalIds": ["u-1", "u-3", "ghost"]})
    assert status == 200 and (body["removed"], body["unchanged"], body["failed"]) == (1, 1, 1)
    assert "added" not in body and body["errors"][0]["externalId"] == "ghost"
    assert members(vip).keys() == {"u-2"}


def test_removing_a_deleted_contact_clears_what_it_left_behind(vip):
    known(vip.stores, "u-1")
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1"]})
    record = vip.stores.contacts.load("x#u-1")
    vip.stores.contacts.delete(record)  # behind the lists' back, as storage allows
    status, body = vip.json("POST", "/v1/lists/vip/members/remove", {"externalIds": ["u-1"]})
    assert body == {"removed": 1, "unchanged": 0, "failed": 0, "errors": []}


def test_members_of_an_unknown_list_are_404(api):
    assert api.json("POST", "/v1/lists/nope/members", {"externalIds": ["u-1"]})[0] == 404


def test_more_than_10000_ids_is_a_413_naming_the_limit(vip):
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": [f"u-{n}" for n in range(10_001)]})
    assert status == 413
    assert body["error"]["details"][0]["path"] == "externalIds" and "10,000" in body["error"]["message"]


def test_no_ids_is_a_400(vip):
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": []})
    assert status == 400 and body["error"]["details"][0]["path"] == "externalIds"


def test_an_id_that_is_not_text_is_a_400_naming_it(vip):
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", 42]})
    assert status == 400 and body["error"]["details"][0]["path"] == "externalIds[1]"


def test_segments_naming_the_list_hear_which_contacts_it_named(vip, monkeypatch):
    from chalicelib.services.segments import realtime

    heard: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(realtime, "lists_changed", lambda ports, list_id, keys: heard.append((list_id, list(keys))))
    known(vip.stores, "u-1")
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1", "nobody"]})
    vip.json("POST", "/v1/lists/vip/members/remove", {"externalIds": ["u-1"]})
    assert heard == [("vip", ["x#u-1"]), ("vip", ["x#u-1"])]


# --- the one code path: workflows call it with their own time ---------------------------------------------------


def test_an_older_removal_arriving_late_loses_to_a_newer_add(vip):
    known(vip.stores, "u-1")
    lists.add_members(vip.stores, "vip", ["u-1"], NOW)
    outcome = lists.remove_members(vip.stores, "vip", ["u-1"], NOW - timedelta(seconds=5))
    assert (outcome.changed, outcome.unchanged) == (0, 1)
    assert members(vip).keys() == {"u-1"}


def test_a_newer_add_of_a_member_keeps_its_since(vip):
    known(vip.stores, "u-1")
    lists.add_members(vip.stores, "vip", ["u-1"], NOW)
    outcome = lists.add_members(vip.stores, "vip", ["u-1"], NOW + timedelta(hours=1))
    assert (outcome.changed, outcome.unchanged) == (0, 1)
    assert members(vip) == {"u-1": "2026-11-27T12:00:00.000Z"}


# --- members page by page ------------------------------------------------------------------------------------


def test_members_come_page_by_page(vip):
    ids = [f"u-{n}" for n in range(7)]
    known(vip.stores, *ids)
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ids})
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = vip.json("GET", f"/v1/lists/vip/members{query}")
        assert status == 200 and len(page["items"]) <= 3
        seen += [m["externalId"] for m in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and pages >= 3


def test_a_cursor_of_another_list_is_a_400_naming_it(vip):
    known(vip.stores, "u-1", "u-2")
    vip.json("POST", "/v1/lists", {"id": "testers", "name": "Testers"})
    for list_id in ("vip", "testers"):
        vip.json("POST", f"/v1/lists/{list_id}/members", {"externalIds": ["u-1", "u-2"]})
    cursor = vip.json("GET", "/v1/lists/vip/members?limit=1")[1]["nextCursor"]
    status, body = vip.json("GET", f"/v1/lists/testers/members?limit=1&cursor={cursor}")
    assert status == 400 and body["error"]["details"][0]["path"] == "cursor"


def test_a_bad_limit_is_a_400_naming_it(vip):
    status, body = vip.json("GET", "/v1/lists/vip/members?limit=501")
    assert status == 400 and body["error"]["details"][0]["path"] == "limit"


def test_a_segment_naming_the_list_follows_its_members_at_once(vip):
    known(vip.stores, "u-1")
    rule = {"id": "vips", "name": "VIPs", "rule": {"all": [{"inList": "vip"}]}}
    assert vip.json("POST", "/v1/segments", rule)[0] == 201
    vip.drain(max_rounds=50)  # its first computation
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": ["u-1"]})
    assert [m["externalId"] for m in vip.json("GET", "/v1/segments/vips/members")[1]["items"]] == ["u-1"]
    vip.json("POST", "/v1/lists/vip/members/remove", {"externalIds": ["u-1"]})
    assert vip.json("GET", "/v1/segments/vips/members")[1]["items"] == []
