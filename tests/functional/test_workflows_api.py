"""Workflows through the API on moto, with Step Functions the in-memory fake (``tests/fakes/machines.py``): drafts
saved with their graph problems, bad input named by path, stale edits refused, publishing refused for a broken
graph and deploying a new version per publish, pause and resume, starts by API that a retried request does not
repeat, and what a marketer watches: statistics, executions, the Mermaid diagram and the message report
(docs/workflows.md)."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import deps
from chalicelib.services.workflows import tasks
from chalicelib.workflows.diagram import mermaid
from chalicelib.workflows.journeys import StepRecord
from chalicelib.workflows.model import parse_workflow
from tests.fakes.machines import FakeMachines
from tests.unit.workflows.examples import ABANDONED_CART, TASK_ARN

HELLO = {
    "name": "Hello by API",
    "trigger": {"api": True},
    "start": "hello",
    "blocks": {
        "hello": {"type": "sendMessage", "channel": "email", "template": "hi", "next": "end"},
        "end": {"type": "end"},
    },
}
TEMPLATE = {
    "id": "hi",
    "name": "Hi",
    "channel": "email",
    "content": {
        "from": "Shop <shop@example.com>",
        "subject": "Hi {{ contact.firstName }}, {{ vars.coupon }}",
        "html": "<p>Hi {{ contact.firstName }}</p>",
    },
}


@dataclass
class Studio:
    """The API with a workflow task function configured and Step Functions faked."""

    api: Any
    machines: FakeMachines

    def json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return self.api.json(method, path, body, **kwargs)

    def create(self, workflow: dict[str, Any]) -> dict[str, Any]:
        status, body = self.json("POST", "/v1/workflows", workflow)
        assert status == 201, body
        return body


@pytest.fixture
def studio(api: Any) -> Iterator[Studio]:
    machines = FakeMachines()
    settings = api.stores.settings.model_copy(
        update={"workflow_task_arn": TASK_ARN, "public_url": "https://orbit.example"}
    )
    wired = dataclasses.replace(api.stores, settings=settings, machines=machines)
    deps.pin(wired)
    api.stores = wired
    yield Studio(api, machines)


@pytest.fixture
def hello(studio: Studio) -> tuple[Studio, str]:
    """``HELLO`` published, the ``hi`` template, and the contact ``ann``."""
    assert studio.api.call("PUT", "/v1/contacts/ann", {"email": "ann@example.com", "firstName": "Ann"}).status_code in (
        200,
        201,
    )
    assert studio.json("POST", "/v1/templates", TEMPLATE)[0] == 201
    workflow_id = studio.create(HELLO)["id"]
    assert studio.json("POST", f"/v1/workflows/{workflow_id}/publish")[0] == 200
    return studio, workflow_id


def test_a_draft_is_saved_with_its_record_and_no_problems(studio):
    created = studio.create(ABANDONED_CART)
    assert created["id"].startswith("wf_") and created["status"] == "draft" and created["revision"] == 1
    assert created["published"] is None and created["problems"] == []
    assert created["definition"]["blocks"]["remind"]["template"] == "abandoned-cart"
    assert studio.json("GET", f"/v1/workflows/{created['id']}") == (200, created)


def test_a_draft_with_a_broken_graph_is_saved_with_its_problems_named(studio):
    broken = copy.deepcopy(ABANDONED_CART)
    broken["blocks"]["remind"]["next"] = "nowhere"
    created = studio.create(broken)
    assert created["problems"] == [{"path": "blocks.remind.next", "message": "names no block ('nowhere')"}]


def test_bad_input_is_a_400_naming_each_path(studio):
    bad = copy.deepcopy(ABANDONED_CART)
    del bad["blocks"]["remind"]["template"]
    bad["settings"]["reentry"] = {"mode": "oncePer"}
    bad["blocks"]["x"] = {"type": "teleport"}
    status, body = studio.json("POST", "/v1/workflows", bad)
    assert status == 400
    paths = {d["path"] for d in body["error"]["details"]}
    assert {"blocks.remind.template", "blocks.x.type"} <= paths
    assert any(p.startswith("settings.reentry") for p in paths)


def test_listing_filters_by_tag_and_status(studio):
    cart = studio.create(ABANDONED_CART)
    studio.create(HELLO)
    status, body = studio.json("GET", "/v1/workflows?tag=cart")
    assert status == 200 and [w["id"] for w in body["items"]] == [cart["id"]]
    assert len(studio.json("GET", "/v1/workflows?status=draft")[1]["items"]) == 2
    assert studio.json("GET", "/v1/workflows?status=published")[1]["items"] == []
    assert studio.json("GET", "/v1/workflows?status=bogus")[0] == 400


def test_an_edit_on_a_stale_revision_is_a_409(studio):
    created = studio.create(ABANDONED_CART)
    path = f"/v1/workflows/{created['id']}"
    renamed = ABANDONED_CART | {"name": "Cart v2"}
    status, body = studio.json("PUT", path, renamed, headers={"If-Match": "1"})
    assert status == 200 and body["revision"] == 2 and body["name"] == "Cart v2"
    status, body = studio.json("PUT", path, ABANDONED_CART | {"name": "Cart v3"}, headers={"If-Match": "1"})
    assert status == 409 and body["error"]["code"] == "conflict"
    assert studio.json("GET", path)[1]["name"] == "Cart v2"


def test_publishing_a_broken_graph_is_a_400_naming_the_block_and_deploys_nothing(studio):
    broken = copy.deepcopy(ABANDONED_CART)
    broken["blocks"]["orphan"] = {"type": "end"}
    created = studio.create(broken)
    status, body = studio.json("POST", f"/v1/workflows/{created['id']}/publish")
    assert status == 400
    assert {"path": "blocks.orphan", "message": "is never reached from the start block"} in body["error"]["details"]
    assert studio.machines.deploys == {}


def test_publishing_deploys_and_each_publish_deploys_the_new_revision(studio):
    created = studio.create(ABANDONED_CART)
    path = f"/v1/workflows/{created['id']}"
    status, body = studio.json("POST", f"{path}/publish")
    assert status == 200 and body["status"] == "published" and body["published"] == 1
    ((name, definitions),) = studio.machines.deploys.items()
    assert created["id"] in name and len(definitions) == 1
    assert json.loads(definitions[0])["Comment"].endswith("revision 1: Abandoned cart")
    assert studio.json("PUT", path, ABANDONED_CART | {"name": "Cart v2"})[0] == 200
    status, body = studio.json("POST", f"{path}/publish")
    assert status == 200 and body["published"] == 2
    assert len(studio.machines.deploys[name]) == 2
    assert json.loads(studio.machines.deploys[name][1])["Comment"].endswith("revision 2: Cart v2")


def test_pause_and_resume_change_whether_journeys_start(hello):
    studio, workflow_id = hello
    path = f"/v1/workflows/{workflow_id}"
    status, body = studio.json("POST", f"{path}/pause")
    assert status == 200 and body["status"] == "paused"
    assert studio.json("POST", f"{path}/start", {"externalId": "ann"})[0] == 409
    assert studio.machines.executions == {}
    status, body = studio.json("POST", f"{path}/resume")
    assert status == 200 and body["status"] == "published"
    assert studio.json("POST", f"{path}/start", {"externalId": "ann"})[0] == 202


def test_pausing_a_never_published_workflow_is_a_409(studio):
    created = studio.create(ABANDONED_CART)
    assert studio.json("POST", f"/v1/workflows/{created['id']}/pause")[0] == 409


def test_a_start_by_api_runs_once_per_request_id(hello):
    studio, workflow_id = hello
    start = {"externalId": "ann", "variables": {"coupon": "SPRING"}, "requestId": "req-1"}
    status, first = studio.json("POST", f"/v1/workflows/{workflow_id}/start", start)
    assert status == 202 and first["started"] is True and first["execution"]
    ((execution,),) = [list(studio.machines.executions.values())]
    assert execution.name == first["execution"] and execution.payload["step"]["vars"] == {"coupon": "SPRING"}
    status, again = studio.json("POST", f"/v1/workflows/{workflow_id}/start", start)
    assert status == 200 and again["started"] is False and again["reason"] == "duplicate"
    assert again["execution"] == first["execution"] and len(studio.machines.executions) == 1


def test_a_start_for_a_contact_inside_the_journey_says_so(hello):
    studio, workflow_id = hello
    assert studio.json("POST", f"/v1/workflows/{workflow_id}/start", {"externalId": "ann", "requestId": "a"})[0] == 202
    status, body = studio.json("POST", f"/v1/workflows/{workflow_id}/start", {"externalId": "ann", "requestId": "b"})
    assert status == 200 and body == {
        "started": False,
        "execution": None,
        "reason": "inside",
        "message": "The contact is inside this workflow already (skipIfInside)",
    }


def test_a_start_for_an_unknown_contact_is_a_404(hello):
    studio, workflow_id = hello
    status, body = studio.json("POST", f"/v1/workflows/{workflow_id}/start", {"externalId": "nobody"})
    assert status == 404 and body["error"]["details"][0]["path"] == "externalId"


def test_the_diagram_is_the_workflows_mermaid_text(studio):
    created = studio.create(ABANDONED_CART)
    response = studio.api.call("GET", f"/v1/workflows/{created['id']}/diagram")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    stored = studio.json("GET", f"/v1/workflows/{created['id']}")[1]["definition"]
    drawn = mermaid(parse_workflow(stored))
    assert response.body.decode() == drawn and "wait-purchase: Wait for Order Completed (up to 1 hour)" in drawn
    status, body = studio.json("GET", f"/v1/workflows/{created['id']}/diagram?format=json")
    assert status == 200 and body == {"mermaid": drawn}


def test_the_diagram_shows_counts_when_asked(studio):
    created = studio.create(ABANDONED_CART)
    studio.api.stores.journeys.add_counts(created["id"], {"remind": {"entered": 7, "exit:next": 7}})
    text = studio.api.call("GET", f"/v1/workflows/{created['id']}/diagram?counts=true").body.decode()
    assert "remind: Send email: abandoned-cart (7)" in text and "-->|7|" in text
    assert studio.json("GET", f"/v1/workflows/{created['id']}/diagram?counts=maybe")[0] == 400


def test_stats_are_per_block_entered_exits_failed_and_journey_counts(studio):
    created = studio.create(ABANDONED_CART)
    studio.api.stores.journeys.add_counts(
        created["id"],
        {
            "wait-purchase": {"entered": 9, "exit:timeout": 7, "exit:event": 2},
            "remind": {"entered": 7, "exit:next": 6, "failed": 1},
            "journey": {"goal": 2, "stopped": 1},
        },
    )
    status, body = studio.json("GET", f"/v1/workflows/{created['id']}/stats")
    assert status == 200
    assert body == {
        "blocks": {
            "wait-purchase": {"entered": 9, "exits": {"event": 2, "timeout": 7}, "failed": 0},
            "remind": {"entered": 7, "exits": {"next": 6}, "failed": 1},
            "done": {"entered": 0, "exits": {}, "failed": 0},
        },
        "journeys": {"goal": 2, "stopped": 1},
    }


def test_executions_list_newest_first_with_each_ones_history(hello):
    studio, workflow_id = hello
    path = f"/v1/workflows/{workflow_id}"
    status, started = studio.json("POST", f"{path}/start", {"externalId": "ann", "requestId": "r"})
    assert status == 202
    step = StepRecord(started["execution"], 1, "2026-11-27T12:00:00Z", ({"block": "hello", "branch": "next"},))
    studio.api.stores.journeys.record_step(workflow_id, step, {})
    status, page = studio.json("GET", f"{path}/executions?limit=10")
    assert status == 200 and page["nextCursor"] is None
    ((item,),) = [page["items"]]
    assert item["execution"] == started["execution"] and item["externalId"] == "ann" and item["status"] == "running"
    status, detail = studio.json("GET", f"{path}/executions/{started['execution']}")
    assert status == 200 and detail["journey"] == item
    assert detail["steps"] == [{"seq": 1, "at": step.at, "entries": [{"block": "hello", "branch": "next"}]}]
    assert studio.json("GET", f"{path}/executions/{workflow_id}-nope")[0] == 404
    assert studio.json("GET", f"{path}/executions?limit=0")[0] == 400


def test_the_report_counts_each_send_blocks_messages_and_the_goal(hello):
    studio, workflow_id = hello
    status, started = studio.json("POST", f"/v1/workflows/{workflow_id}/start", {"externalId": "ann"})
    assert status == 202
    (execution,) = studio.machines.executions.values()
    # the task the state machine's first state calls, run as Step Functions would run it
    answer = tasks.handle(
        studio.api.stores,
        {"workflow": workflow_id, "revision": 1, "action": "run", "from": "hello", **execution.payload},
    )
    assert answer["at"] == "end"
    (sent,) = [
        e["messageId"]
        for s in studio.api.stores.journeys.history(execution.name)
        for e in s.entries
        if "messageId" in e
    ]
    studio.api.stores.messages.count(sent, "opened", "2026-11-27T12:05:00Z")
    studio.api.stores.messages.count(sent, "opened", "2026-11-27T12:06:00Z")  # counted once per message
    studio.api.stores.journeys.add_counts(workflow_id, {"journey": {"goal": 1}})
    status, body = studio.json("GET", f"/v1/workflows/{workflow_id}/report")
    assert status == 200
    assert body == {
        "blocks": {
            "hello": {
                "type": "sendMessage",
                "entered": 1,
                "sent": 1,
                "failed": 0,
                "pending": 0,
                "delivered": 1,  # the sandbox provider delivers at once
                "opened": 1,
                "clicked": 0,
                "unsubscribed": 0,
                "variants": {},
            }
        },
        "journeys": 1,
        "complete": True,
        "goals": 1,
        "conversionRate": 1.0,
    }


def test_deleting_archives_the_workflow(studio):
    created = studio.create(ABANDONED_CART)
    status, body = studio.json("DELETE", f"/v1/workflows/{created['id']}")
    assert status == 200 and body["status"] == "archived"
    assert studio.json("GET", f"/v1/workflows/{created['id']}")[0] == 404
    assert studio.json("GET", "/v1/workflows")[1]["items"] == []


def test_a_start_the_reentry_setting_refuses_says_so(hello):
    studio, workflow_id = hello
    path = f"/v1/workflows/{workflow_id}"
    assert studio.json("PUT", path, HELLO | {"settings": {"reentry": {"mode": "once"}}})[0] == 200
    assert studio.json("POST", f"{path}/publish")[0] == 200
    status, first = studio.json("POST", f"{path}/start", {"externalId": "ann", "requestId": "a"})
    assert status == 202
    journeys = studio.api.stores.journeys
    assert journeys.end(workflow_id, "x#ann", first["execution"], "finished", "2026-11-27T12:01:00Z")
    status, body = studio.json("POST", f"{path}/start", {"externalId": "ann", "requestId": "b"})
    assert status == 200 and body["started"] is False and body["reason"] == "reentry"
    assert len(studio.machines.executions) == 1
