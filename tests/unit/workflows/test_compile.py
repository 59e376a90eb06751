"""The compiler: deterministic States Language, pinned by golden files, with the shape the cost depends on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chalicelib.workflows.asl import compile_workflow, definition_json
from chalicelib.workflows.graph import check
from chalicelib.workflows.model import parse_workflow
from tests.unit.workflows.examples import EXAMPLES, TASK_ARN, WELCOME_SERIES

GOLDEN = Path(__file__).parent / "golden"


def compiled(name: str) -> dict:
    workflow = parse_workflow(EXAMPLES[name])
    check(workflow)
    return compile_workflow("wf_example", 3, workflow, TASK_ARN)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_asl_matches_its_golden_file(name):
    text = json.dumps(compiled(name), indent=2, sort_keys=True) + "\n"
    golden = GOLDEN / f"{name}.asl.json"
    if os.environ.get("ORBIT_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text(), f"the ASL of {name} changed; ORBIT_UPDATE_GOLDEN=1 rewrites the golden file"


def test_compiling_twice_gives_identical_json():
    first = definition_json(compiled("welcome_series"))
    assert definition_json(compiled("welcome_series")) == first


def test_a_wait_free_stretch_is_one_task_state():
    states = compiled("welcome_series")["States"]
    # the split and both of its sends run in the task after day3, not in states of their own
    assert "Run split" in states
    assert not any(name.endswith(("story", "offer")) for name in states)


def test_every_wait_is_a_wait_state_reading_the_seconds_the_task_answers():
    states = compiled("welcome_series")["States"]
    waits = {name: s for name, s in states.items() if s["Type"] == "Wait"}
    assert sorted(waits) == ["Wait day1", "Wait day3", "Wait day5", "Wait day7"]
    assert all(s["SecondsPath"] == "$.step.seconds" for s in waits.values())


def test_a_wait_for_event_parks_a_task_token_and_times_out_into_its_branch():
    state = compiled("abandoned_cart")["States"]["Await wait-purchase"]
    assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
    assert state["TimeoutSecondsPath"] == "$.step.seconds"
    timeout = next(c for c in state["Catch"] if c["ErrorEquals"] == ["States.Timeout"])
    assert timeout["Next"] == "Run remind" and state["Next"] == "Run done"


def test_tasks_never_write_the_journey_context():
    for state in compiled("abandoned_cart")["States"].values():
        assert not str(state.get("ResultPath", "")).startswith("$.journey")


def test_task_states_retry_transient_errors_and_catch_the_rest_into_a_recorded_failure():
    run = compiled("abandoned_cart")["States"]["Run remind"]
    assert "Retryable" in run["Retry"][0]["ErrorEquals"]
    assert [c["Next"] for c in run["Catch"]] == ["Stopped", "Failed"]


def test_a_stretch_with_several_stops_is_followed_by_one_choice():
    assert not any(s["Type"] == "Choice" for s in compiled("welcome_series")["States"].values())  # one stop each
    two_ways = dict(WELCOME_SERIES, blocks=dict(WELCOME_SERIES["blocks"]))
    two_ways["blocks"]["nudge"] = {"type": "sendMessage", "channel": "email", "template": "welcome-5", "next": "again"}
    two_ways["blocks"]["again"] = {"type": "wait", "duration": {"days": 1}, "next": "end"}
    workflow = parse_workflow(two_ways)
    check(workflow)
    states = compile_workflow("wf_x", 1, workflow, TASK_ARN)["States"]
    choice = states["Route opened"]
    assert choice["Type"] == "Choice"
    assert {c["Next"] for c in choice["Choices"]} == {"Done", "Wait again"}
