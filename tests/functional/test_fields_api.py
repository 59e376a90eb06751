"""Field declarations: declared once (idempotently), changed without changing the type, removed with care."""

from __future__ import annotations

import pytest

TIER = {"name": "tier", "type": "string", "options": ["gold", "silver"]}


def test_declaring_the_same_field_again_answers_the_same(api):
    first = api.json("POST", "/v1/fields", TIER)
    again = api.json("POST", "/v1/fields", TIER)

    assert first == again and first[0] == 201
    assert api.json("GET", "/v1/fields")[1]["fields"] == [first[1]]


def test_a_different_declaration_under_a_taken_name_is_a_409_naming_what_differs(api):
    api.json("POST", "/v1/fields", TIER)

    status, body = api.json("POST", "/v1/fields", {**TIER, "options": ["gold"], "description": "Tier"})

    assert status == 409
    assert [d["path"] for d in body["error"]["details"]] == ["description", "options"]


@pytest.mark.parametrize(
    ("declaration", "named"),
    [
        ({"name": "n", "type": "number", "options": ["1"]}, "options"),
        ({"name": "n", "type": "boolean", "pattern": "^x$"}, "pattern"),
        ({"name": "n", "type": "date", "maxLength": 10}, "maxLength"),
        ({"name": "n", "type": "datetime", "options": ["x"]}, "options"),
        ({"name": "n", "type": "string", "minimum": 1}, "minimum"),
        ({"name": "n", "type": "stringList", "maximum": 1}, "maximum"),
    ],
)
def test_a_constraint_that_does_not_fit_the_type_is_a_400(api, declaration, named):
    status, body = api.json("POST", "/v1/fields", declaration)

    assert status == 400 and named in body["error"]["details"][0]["message"]


def test_a_patch_changes_constraints_for_new_writes_and_keeps_stored_values(api):
    api.json("POST", "/v1/fields", TIER)
    api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "silver"}})

    status, changed = api.json("PATCH", "/v1/fields/tier", {"options": ["gold"], "description": "Loyalty"})

    unset = dict.fromkeys(("maxLength", "minimum", "maximum", "pattern"))
    assert status == 200 and changed == {**TIER, "options": ["gold"], "description": "Loyalty", **unset}
    assert api.json("GET", "/v1/contacts/u-1")[1]["fields"] == {"tier": "silver"}
    assert api.json("PUT", "/v1/contacts/u-2", {"fields": {"tier": "silver"}})[0] == 400
    assert api.json("PUT", "/v1/contacts/u-2", {"fields": {"tier": "gold"}})[0] == 201


def test_a_patch_with_null_removes_a_constraint(api):
    api.json("POST", "/v1/fields", TIER)

    api.json("PATCH", "/v1/fields/tier", {"options": None})

    assert api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "bronze"}})[0] == 201


def test_a_patch_cannot_change_the_type(api):
    api.json("POST", "/v1/fields", TIER)

    status, body = api.json("PATCH", "/v1/fields/tier", {"type": "number"})

    assert status == 400 and body["error"]["details"][0]["path"] == "type"
    assert api.json("GET", "/v1/fields")[1]["fields"][0]["type"] == "string"


def test_a_patch_that_does_not_fit_the_type_is_a_400_and_changes_nothing(api):
    api.json("POST", "/v1/fields", {"name": "score", "type": "number"})

    assert api.json("PATCH", "/v1/fields/score", {"pattern": "^[0-9]+$"})[0] == 400
    assert api.json("GET", "/v1/fields")[1]["fields"][0]["pattern"] is None


def test_patching_or_removing_an_undeclared_field_is_a_404(api):
    assert api.json("PATCH", "/v1/fields/nope", {"description": "x"})[0] == 404
    assert api.json("DELETE", "/v1/fields/nope")[0] == 404


def test_a_field_no_contact_holds_is_removed(api):
    api.json("POST", "/v1/fields", TIER)

    status, body = api.json("DELETE", "/v1/fields/tier")

    assert (status, body) == (200, {"name": "tier", "removed": True, "contactsWithValues": 0})
    assert api.json("GET", "/v1/fields")[1]["fields"] == []


def test_removing_a_field_contacts_hold_is_a_409_without_force(api):
    api.json("POST", "/v1/fields", TIER)
    api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "gold"}})

    status, body = api.json("DELETE", "/v1/fields/tier")

    assert status == 409 and "1 contact" in body["error"]["message"]
    assert [f["name"] for f in api.json("GET", "/v1/fields")[1]["fields"]] == ["tier"]


def test_a_forced_removal_keeps_values_readable_and_clearable_but_not_writable(api):
    api.json("POST", "/v1/fields", TIER)
    api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "gold"}})

    status, body = api.json("DELETE", "/v1/fields/tier?force=true")

    assert status == 200 and body["contactsWithValues"] == 1
    assert api.json("GET", "/v1/contacts/u-1")[1]["fields"] == {"tier": "gold"}
    assert api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "silver"}})[0] == 400
    assert api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": None}})[1]["fields"] == {}


def test_force_must_be_true_or_false(api):
    api.json("POST", "/v1/fields", TIER)

    assert api.json("DELETE", "/v1/fields/tier?force=yes")[0] == 400
