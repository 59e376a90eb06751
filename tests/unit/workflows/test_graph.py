"""Graph checks name the block that makes a workflow unpublishable."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.workflows.graph import check, stretch
from chalicelib.workflows.model import parse_workflow
from tests.unit.workflows.examples import WELCOME_SERIES


def workflow(blocks: dict, start: str = "a"):
    return parse_workflow({"name": "t", "trigger": {"api": True}, "start": start, "blocks": blocks})


def problems(blocks: dict, start: str = "a") -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check(workflow(blocks, start))
    return {d.path: d.message for d in caught.value.details}


SEND = {"type": "sendMessage", "channel": "email", "template": "t"}


def test_a_next_naming_no_block_is_named():
    assert problems({"a": SEND | {"next": "nowhere"}}) == {"blocks.a.next": "names no block ('nowhere')"}


def test_a_split_branch_naming_no_block_is_named_by_its_index():
    found = problems(
        {
            "a": {"type": "split", "branches": [{"weight": 1, "next": "e"}, {"weight": 1, "next": "x"}]},
            "e": {"type": "end"},
        }
    )
    assert found == {"blocks.a.branches[1].next": "names no block ('x')"}


def test_a_start_naming_no_block_is_named():
    assert "start" in problems({"a": {"type": "end"}}, start="b")


def test_an_unreachable_block_is_named():
    found = problems({"a": SEND | {"next": "e"}, "e": {"type": "end"}, "lost": SEND | {"next": "e"}})
    assert found == {"blocks.lost": "is never reached from the start block"}


def test_a_loop_without_a_wait_is_named_with_its_path():
    found = problems(
        {
            "a": SEND | {"next": "b"},
            "b": {"type": "condition", "lastMessage": "opened", "next": {"yes": "e", "no": "a"}},
            "e": {"type": "end"},
        }
    )
    assert found == {"blocks.a": "is in a loop without a wait (a -> b -> a)"}


def test_a_loop_through_a_wait_is_allowed():
    check(
        workflow(
            {
                "a": SEND | {"next": "w"},
                "w": {"type": "wait", "duration": {"days": 1}, "next": "b"},
                "b": {"type": "condition", "lastMessage": "opened", "next": {"yes": "e", "no": "a"}},
                "e": {"type": "end"},
            }
        )
    )


def test_a_block_that_can_never_end_is_a_dead_end():
    found = problems(
        {
            "a": {"type": "split", "branches": [{"weight": 1, "next": "e"}, {"weight": 1, "next": "w"}]},
            "w": {"type": "wait", "duration": {"days": 1}, "next": "w2"},
            "w2": {"type": "wait", "duration": {"days": 1}, "next": "w"},
            "e": {"type": "end"},
        }
    )
    assert found == {
        "blocks.w": "never leads to an end block (a dead end)",
        "blocks.w2": "never leads to an end block (a dead end)",
    }


def test_branches_may_merge():
    check(parse_workflow(WELCOME_SERIES))


def test_a_stretch_runs_to_the_next_pause():
    part = stretch(parse_workflow(WELCOME_SERIES), "split")
    assert part.blocks == ("split", "story", "offer") and part.stops == ("day5",)
