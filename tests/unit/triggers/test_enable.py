"""Enabling and disabling triggers on the fakes: what enabling makes, that a second enable finds the same
workflow, that the workflow stays an ordinary editable one, and the 400s naming what is wrong."""

from __future__ import annotations

import copy

import pytest

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services import triggers
from chalicelib.services.workflows import definitions
from tests.unit.workflows.journeys_world import JourneyWorld

SENDER = {"sender": "Shop <shop@example.com>"}


@pytest.fixture
def world() -> JourneyWorld:
    return JourneyWorld()


def test_enabling_makes_the_default_template_and_a_published_workflow(world: JourneyWorld):
    done = triggers.enable(world.ports, "abandonedCart", SENDER)
    assert done.workflow.status == "published"
    assert done.template_id == "trigger-abandoned-cart"
    assert world.ports.templates.template("trigger-abandoned-cart") is not None
    assert done.created == ["template:trigger-abandoned-cart", "workflow"]
    assert "trigger:abandonedCart" in definitions.get(world.ports, done.workflow.id).tags


def test_enabling_twice_gives_the_same_workflow_and_makes_nothing(world: JourneyWorld):
    first = triggers.enable(world.ports, "abandonedCart", SENDER)
    second = triggers.enable(world.ports, "abandonedCart", SENDER)
    assert second.workflow.id == first.workflow.id
    assert second.created == []
    assert len(definitions.listing(world.ports, tag="trigger:abandonedCart")) == 1


def test_an_existing_template_is_used_as_it_is(world: JourneyWorld):
    world.template("my-cart-mail")
    done = triggers.enable(world.ports, "abandonedCart", {"templateId": "my-cart-mail"})
    assert done.created == ["workflow"]
    assert done.template_id == "my-cart-mail"


def test_disabling_pauses_the_workflow_and_enabling_resumes_it(world: JourneyWorld):
    enabled = triggers.enable(world.ports, "abandonedBrowse", SENDER)
    assert triggers.disable(world.ports, "abandonedBrowse").status == "paused"
    again = triggers.enable(world.ports, "abandonedBrowse", SENDER)
    assert (again.workflow.id, again.workflow.status) == (enabled.workflow.id, "published")


def test_an_edited_workflow_is_kept_and_published_on_enable(world: JourneyWorld):
    enabled = triggers.enable(world.ports, "abandonedCart", SENDER)
    edited = copy.deepcopy(enabled.workflow.definition)
    edited["blocks"]["wait-order"]["timeout"] = {"hours": 5}
    definitions.update(world.ports, enabled.workflow.id, edited, enabled.workflow.revision)
    again = triggers.enable(world.ports, "abandonedCart", SENDER)
    assert again.workflow.published == enabled.workflow.revision + 1
    assert again.workflow.definition["blocks"]["wait-order"]["timeout"] == {"hours": 5}


def test_reactivation_makes_its_segment_once(world: JourneyWorld):
    done = triggers.enable(world.ports, "reactivation", SENDER | {"inactiveDays": 45})
    assert done.segment_ids == ["trigger-inactive-45d"]
    assert world.ports.segments.segment("trigger-inactive-45d") is not None
    assert triggers.enable(world.ports, "reactivation", SENDER).segment_ids == ["trigger-inactive-45d"]


def test_the_default_template_needs_a_sender(world: JourneyWorld):
    with pytest.raises(InvalidInput) as raised:
        triggers.enable(world.ports, "abandonedCart", {})
    assert [d.path for d in raised.value.details] == ["sender"]
    assert triggers.workflow_of(world.ports, "abandonedCart") is None


def test_a_bad_sender_is_named(world: JourneyWorld):
    with pytest.raises(InvalidInput) as raised:
        triggers.enable(world.ports, "abandonedCart", {"sender": "not an address"})
    assert [d.path for d in raised.value.details] == ["sender"]


def test_a_template_of_another_channel_is_refused(world: JourneyWorld):
    world.template("mail")
    with pytest.raises(InvalidInput) as raised:
        triggers.enable(world.ports, "postPurchase", {"templateId": "mail", "channel": "sms"})
    assert [d.path for d in raised.value.details] == ["templateId"]


def test_a_missing_template_of_another_channel_has_no_default(world: JourneyWorld):
    with pytest.raises(InvalidInput) as raised:
        triggers.enable(world.ports, "postPurchase", {"templateId": "nope", "channel": "sms"})
    assert [d.path for d in raised.value.details] == ["templateId"]


def test_bad_parameters_make_nothing(world: JourneyWorld):
    with pytest.raises(InvalidInput) as raised:
        triggers.enable(world.ports, "abandonedCart", SENDER | {"delay": {"hours": 0}})
    assert [d.path for d in raised.value.details] == ["delay"]
    assert world.ports.templates.template("trigger-abandoned-cart") is None


def test_unknown_triggers_and_never_enabled_ones_are_not_found(world: JourneyWorld):
    with pytest.raises(NotFound):
        triggers.enable(world.ports, "nope", {})
    with pytest.raises(NotFound):
        triggers.disable(world.ports, "abandonedCart")
