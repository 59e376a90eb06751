"""The catalogue's recipes: every trigger's defaults make a publishable workflow, parameters change the workflow
the way they say, and bad parameters are refused by name."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.messaging.context import context_for
from chalicelib.messaging.render import render
from chalicelib.messaging.templates import TemplateIn
from chalicelib.services import templates
from chalicelib.triggers.catalogue import TRIGGERS
from chalicelib.triggers.contents import default_email
from chalicelib.triggers.products import product_ids
from chalicelib.workflows import graph
from chalicelib.workflows.model import parse_workflow
from tests.fakes import fake_ports


@pytest.mark.parametrize("trigger_id", sorted(TRIGGERS))
def test_the_defaults_make_a_publishable_workflow_tagged_with_the_trigger(trigger_id: str):
    recipe = TRIGGERS[trigger_id].recipe({})
    workflow = parse_workflow(recipe.workflow)
    graph.check(workflow)
    assert f"trigger:{trigger_id}" in workflow.tags


@pytest.mark.parametrize("trigger_id", sorted(TRIGGERS))
def test_every_parameter_is_listed_with_its_default(trigger_id: str):
    trigger = TRIGGERS[trigger_id]
    listed = {p["name"]: p["default"] for p in trigger.parameters()}
    assert set(listed) == set(trigger.params.model_fields)
    assert listed["templateId"] == trigger.default_template
    assert all(p["description"] for p in trigger.parameters())


def test_the_abandoned_cart_waits_for_the_same_carts_order_for_the_delay():
    workflow = TRIGGERS["abandonedCart"].recipe({"delay": {"hours": 3}}).workflow
    wait = workflow["blocks"][workflow["start"]]
    assert wait["type"] == "waitForEvent"
    assert wait["event"] == "Order Completed"
    assert wait["match"] == {"cart_id": "{{ trigger.properties.cart_id }}"}
    assert wait["timeout"] == {"hours": 3}
    assert workflow["blocks"][wait["next"]["timeout"]]["type"] == "sendMessage"
    assert workflow["blocks"][wait["next"]["event"]]["type"] == "end"


def test_frequency_is_the_workflows_reentry():
    trigger = TRIGGERS["abandonedCart"]
    assert trigger.recipe({}).workflow["settings"]["reentry"] == {"mode": "oncePer", "days": 7}
    assert trigger.recipe({"frequencyDays": 2}).workflow["settings"]["reentry"] == {"mode": "oncePer", "days": 2}
    assert trigger.recipe({"frequencyDays": None}).workflow["settings"]["reentry"] == {"mode": "every"}


def test_any_order_stops_an_abandoned_cart_unless_only_the_same_cart_should():
    trigger = TRIGGERS["abandonedCart"]
    assert trigger.recipe({}).workflow["settings"]["stopWhen"] == [{"event": "Order Completed"}]
    assert trigger.recipe({"stopOn": "sameCart"}).workflow["settings"]["stopWhen"] == []


def test_an_abandoned_browse_is_stopped_by_a_cart_or_an_order():
    settings = TRIGGERS["abandonedBrowse"].recipe({}).workflow["settings"]
    assert {r["event"] for r in settings["stopWhen"]} == {"Cart Updated", "Order Completed"}


def test_send_hours_and_channel_and_template_reach_the_workflow():
    workflow = (
        TRIGGERS["postPurchase"]
        .recipe({"sendHours": {"from": "09:00", "to": "21:00"}, "channel": "sms", "templateId": "xsell-sms"})
        .workflow
    )
    assert workflow["settings"]["sendHours"] == {"from": "09:00", "to": "21:00"}
    (send,) = [b for b in workflow["blocks"].values() if b["type"] == "sendMessage"]
    assert (send["channel"], send["template"]) == ("sms", "xsell-sms")


def test_reactivation_starts_from_a_segment_of_past_customers_inactive_for_the_days():
    recipe = TRIGGERS["reactivation"].recipe({"inactiveDays": 60})
    (segment,) = recipe.segments
    assert recipe.workflow["trigger"] == {"segment": segment["id"]}
    assert {"orders": "lastOrderAt", "ago": {"olderThan": {"days": 60}}} in segment["rule"]["all"]
    assert {"orders": "count", "op": "gte", "value": 1} in segment["rule"]["all"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"delay": {"hours": -1}}, "delay.hours"),
        ({"delay": {}}, "delay"),
        ({"frequencyDays": 0}, "frequencyDays"),
        ({"stopOn": "never"}, "stopOn"),
        ({"channel": "pigeon"}, "channel"),
        ({"templateId": "Not An Id"}, "templateId"),
        ({"sendHours": {"from": "09:30", "to": "21:00"}}, "sendHours.from"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_parameter_is_named(params: dict, path: str):
    with pytest.raises(InvalidInput) as raised:
        TRIGGERS["abandonedCart"].parse(params)
    assert path in [d.path for d in raised.value.details]


def test_parameters_must_be_an_object():
    with pytest.raises(InvalidInput):
        TRIGGERS["abandonedCart"].parse([1])


def test_product_ids_come_from_a_carts_lines_or_the_viewed_product():
    assert product_ids({"products": [{"product_id": "a"}, {"sku": "b"}, {"product_id": "a"}, "x"]}) == ["a", "b"]
    assert product_ids({"product_id": "p-1"}) == ["p-1"]
    assert product_ids({"query": "boots"}) == []


@pytest.mark.parametrize("trigger_id", sorted(TRIGGERS))
def test_the_default_email_lists_the_products_and_the_suggestions(trigger_id: str):
    body = TemplateIn.model_validate(default_email(trigger_id, "t", "Shop <shop@example.com>"))
    template = templates.create(fake_ports(), body)
    products = [{"id": f"p{i}", "name": f"Cart thing {i}", "price": "5.00", "currency": "EUR"} for i in range(4)]
    recommended = [{"id": "r1", "name": "Suggested thing", "price": "7.00", "currency": "EUR"}]
    html = render(template, context_for({}, products=products, recommended=recommended)).content["html"]
    assert "Suggested thing" in html
    shows_products = TRIGGERS[trigger_id].id in (
        "abandonedCart",
        "abandonedBrowse",
        "postPurchase",
        "regularDemand",
        "priceDrop",
        "backInStock",
    )
    assert ("Cart thing 3" in html) == shows_products
