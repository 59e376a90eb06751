"""The triggers API on moto through the Chalice test client (Step Functions faked): the catalogue with each
trigger's parameters and defaults, enabling (a 400 naming each bad parameter; the same workflow on a second call),
and disabling."""

from __future__ import annotations

from typing import Any

from tests.functional.test_workflows_api import Studio
from tests.functional.test_workflows_api import studio as studio  # noqa: F401  (the fixture)

SENDER = {"sender": "Shop <shop@example.com>"}


def test_the_catalogue_lists_each_trigger_with_its_parameters(studio: Studio):  # noqa: F811
    status, body = studio.json("GET", "/v1/triggers")
    assert status == 200
    by_id = {t["id"]: t for t in body["items"]}
    assert {"abandonedCart", "abandonedBrowse", "reactivation", "postPurchase"} <= set(by_id)
    params = {p["name"]: p["default"] for p in by_id["abandonedCart"]["parameters"]}
    assert params["delay"] == {"hours": 1}
    assert params["frequencyDays"] == 7
    assert by_id["abandonedCart"]["workflowId"] is None


def test_enabling_makes_a_published_workflow_once(studio: Studio):  # noqa: F811
    status, first = studio.json("POST", "/v1/triggers/abandonedCart/enable", SENDER | {"delay": {"hours": 2}})
    assert status == 200, first
    assert first["status"] == "published" and "workflow" in first["created"]
    status, again = studio.json("POST", "/v1/triggers/abandonedCart/enable", SENDER)
    assert (status, again["workflowId"], again["created"]) == (200, first["workflowId"], [])
    workflow = studio.json("GET", f"/v1/workflows/{first['workflowId']}")[1]
    assert workflow["definition"]["blocks"]["wait-order"]["timeout"] == {"hours": 2}
    shown = studio.json("GET", "/v1/triggers/abandonedCart")[1]
    assert (shown["workflowId"], shown["status"]) == (first["workflowId"], "published")


def test_enabling_without_a_body_takes_the_defaults_and_names_the_missing_sender(studio: Studio):  # noqa: F811
    status, body = studio.json("POST", "/v1/triggers/postPurchase/enable")
    assert status == 400
    assert [d["path"] for d in body["error"]["details"]] == ["sender"]


def test_bad_parameters_are_a_400_naming_each(studio: Studio):  # noqa: F811
    bad: dict[str, Any] = {"delay": {"hours": -2}, "frequencyDays": 0, "colour": "red"}
    status, body = studio.json("POST", "/v1/triggers/abandonedCart/enable", SENDER | bad)
    assert status == 400
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"delay.hours", "frequencyDays", "colour"} <= paths


def test_disabling_pauses_the_workflow(studio: Studio):  # noqa: F811
    enabled = studio.json("POST", "/v1/triggers/abandonedBrowse/enable", SENDER)[1]
    status, body = studio.json("POST", "/v1/triggers/abandonedBrowse/disable")
    assert (status, body["status"]) == (200, "paused")
    assert studio.json("GET", f"/v1/workflows/{enabled['workflowId']}")[1]["status"] == "paused"


def test_an_unknown_trigger_is_a_404(studio: Studio):  # noqa: F811
    assert studio.json("GET", "/v1/triggers/nope")[0] == 404
    assert studio.json("POST", "/v1/triggers/nope/enable", {})[0] == 404
    assert studio.json("POST", "/v1/triggers/abandonedCart/disable")[0] == 404
