"""The Mermaid flowchart of a workflow."""

from __future__ import annotations

from chalicelib.workflows.diagram import mermaid
from chalicelib.workflows.model import parse_workflow
from tests.unit.workflows.examples import ABANDONED_CART, WELCOME_SERIES


def test_every_block_is_a_node_and_every_branch_an_arrow():
    text = mermaid(parse_workflow(ABANDONED_CART))
    assert text.startswith("flowchart TD\n")
    assert 'b0["wait-purchase: Wait for Order Completed (up to 1 hour)"]' in text
    assert "b0 -->|event| b2" in text and "b0 -->|timeout| b1" in text
    assert 'start(["When Cart Updated"])' in text


def test_counts_label_blocks_and_branches():
    counts = {"wait-purchase": {"entered": 10, "exit:timeout": 7, "exit:event": 3}}
    text = mermaid(parse_workflow(ABANDONED_CART), counts)
    assert "(up to 1 hour) (10)" in text
    assert "b0 -->|timeout 7| b1" in text


def test_a_split_is_a_decision_shape_with_weighted_branches():
    text = mermaid(parse_workflow(WELCOME_SERIES))
    assert '{{"split: Random split 50/50"}}' in text
    assert "-->|branch1|" in text and "-->|branch2|" in text
