"""Reading a workflow: the public shape, and errors that name each bad part by its path."""

from __future__ import annotations

import copy

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.workflows.model import dump_workflow, parse_workflow
from tests.unit.workflows.examples import ABANDONED_CART, EXAMPLES


def errors_of(data) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_workflow(data)
    return {d.path: d.message for d in caught.value.details}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_read_and_dump_back_unchanged(name):
    assert dump_workflow(parse_workflow(EXAMPLES[name])) == EXAMPLES[name]


def test_a_bad_block_field_is_named_by_its_path():
    data = copy.deepcopy(ABANDONED_CART)
    data["blocks"]["remind"]["channel"] = "pigeon"
    assert "blocks.remind.channel" in errors_of(data)


def test_an_unknown_block_type_is_named():
    data = copy.deepcopy(ABANDONED_CART)
    data["blocks"]["remind"]["type"] = "teleport"
    assert errors_of(data)["blocks.remind.type"].startswith("must be one of wait, waitForEvent")


def test_every_bad_part_is_reported_at_once():
    data = copy.deepcopy(ABANDONED_CART)
    data["settings"]["reentry"] = {"mode": "oncePer"}
    data["blocks"]["wait-purchase"]["timeout"] = {"hours": 0}
    data["name"] = ""
    found = errors_of(data)
    assert {"settings.reentry", "blocks.wait-purchase.timeout", "name"} <= set(found)


def test_a_condition_rule_is_checked_as_a_segment_rule_with_its_path():
    data = copy.deepcopy(ABANDONED_CART)
    data["blocks"]["remind"] = {
        "type": "condition",
        "rule": {
            "all": [{"field": "fields.vip", "op": "eq", "value": True}, {"event": "Viewed", "within": {"days": 0}}]
        },
        "next": {"yes": "done", "no": "done"},
    }
    assert "blocks.remind.rule.all[1].within.days" in errors_of(data)


def test_spelled_out_filter_operators_are_the_rule_languages():
    data = copy.deepcopy(ABANDONED_CART)
    data["trigger"]["where"] = [
        {"property": "total", "op": "equals", "value": 5},
        {"property": "c", "op": "oneOf", "value": ["a"]},
    ]
    ops = [f.op for f in parse_workflow(data).trigger.where]
    assert ops == ["eq", "in"]


def test_a_trigger_names_exactly_one_kind():
    data = copy.deepcopy(ABANDONED_CART)
    data["trigger"] = {"event": "X", "segment": "seg_1"}
    assert errors_of(data)["trigger"] == "give exactly one of event, segment, fieldChange, schedule, api"


def test_send_hours_are_on_the_hour():
    data = copy.deepcopy(ABANDONED_CART)
    data["settings"]["sendHours"] = {"from": "09:30", "to": "21:00"}
    assert "settings.sendHours.from" in errors_of(data)


def test_a_webhook_must_be_https():
    data = copy.deepcopy(ABANDONED_CART)
    data["blocks"]["remind"] = {"type": "webhook", "url": "http://example.com/hook", "next": "done"}
    assert errors_of(data)["blocks.remind.url"] == "must be an https:// URL"


def test_one_from_many_takes_templates_or_a_tag():
    data = copy.deepcopy(ABANDONED_CART)
    data["blocks"]["remind"] = {"type": "oneFromMany", "channel": "email", "next": "done"}
    assert errors_of(data)["blocks.remind"] == "give either templates or tag"


def test_a_schedule_names_a_real_time_zone():
    data = {
        "name": "s",
        "trigger": {"schedule": {"segment": "vip", "time": "09:00", "timeZone": "Mars/Olympus"}},
        "start": "e",
        "blocks": {"e": {"type": "end"}},
    }
    assert "trigger.schedule.timeZone" in errors_of(data)
