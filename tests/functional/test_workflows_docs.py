"""docs/workflows.md and the Journeys section of docs/cost.md cannot rot: every JSON workflow in the page parses and
passes the graph checks, every block example validates, the tutorial is the representative abandoned cart and its
pasted diagram is what ``mermaid()`` draws, the API table lists every workflow route, and the cost table's
transitions are those of the golden States Language walked along each path."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import workflows as workflows_api
from chalicelib.api.http import ROUTES
from chalicelib.workflows import graph
from chalicelib.workflows.blocks import BLOCK_TYPES
from chalicelib.workflows.diagram import mermaid
from chalicelib.workflows.model import parse_workflow
from tests.unit.workflows.examples import ABANDONED_CART, ONE_FROM_MANY, WELCOME_SERIES
from tests.unit.workflows.transitions import invocations_for_path, states_for_path

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "workflows.md").read_text()
GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "workflows" / "golden"
TRANSITION_PRICE = 0.025 / 1000  # Step Functions Standard, per state transition
REQUEST_PRICE = 0.20 / 1_000_000  # Lambda, per invocation


def json_blocks(page: str) -> list[Any]:
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", page, re.S)]


def example(name: str) -> Any:
    """The JSON block right after ``<!-- example: name -->``."""
    found = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w+\n(.*?)```", PAGE, re.S)
    assert found, name
    return found.group(1)


WORKFLOWS = [b for b in json_blocks(PAGE) if isinstance(b, dict) and "blocks" in b and "trigger" in b]
BLOCKS = [b for b in json_blocks(PAGE) if isinstance(b, dict) and b.get("type") in BLOCK_TYPES]


def test_the_page_has_workflow_and_block_examples():
    assert len(WORKFLOWS) >= 4 and len(BLOCKS) >= 3


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w["name"] for w in WORKFLOWS])
def test_every_workflow_in_the_page_parses_and_is_publishable(workflow):
    graph.check(parse_workflow(workflow))


@pytest.mark.parametrize("block", BLOCKS, ids=[b["type"] for b in BLOCKS])
def test_every_block_example_validates(block):
    BLOCK_TYPES[block["type"]].model_validate(block)


def test_the_tutorials_are_the_representative_workflows():
    assert json.loads(example("abandoned cart")) == ABANDONED_CART
    assert json.loads(example("welcome series")) == WELCOME_SERIES
    assert json.loads(example("one from many")) == ONE_FROM_MANY


def test_the_pasted_diagram_is_what_mermaid_draws():
    assert example("abandoned cart diagram") == mermaid(parse_workflow(ABANDONED_CART))


def test_the_api_table_lists_every_workflow_route():
    table = PAGE.split("### API", 1)[1]
    routes = [s for s in ROUTES if s.tag == workflows_api.TAG]
    assert len(routes) == 14
    for spec in routes:
        path = spec.path.replace("{name}", "{execution}")
        shown = f"`{spec.method} {path}" in table or (
            path.endswith(("/pause", "/resume")) and "`POST /v1/workflows/{id}/pause`, `/resume`" in table
        )
        assert shown, f"{spec.method} {spec.path}"


COSTED = [
    ("Abandoned cart, no purchase within the hour", "abandoned_cart", ["timeout"], 3),
    ("Abandoned cart, bought within the hour", "abandoned_cart", ["event"], 3),
    ("Welcome series (5 messages, 4 waits, a split, a condition)", "welcome_series", [], 9),
    ("One from many (no wait)", "one_from_many", [], 1),
]


@pytest.mark.parametrize(("title", "golden", "path", "transitions"), COSTED, ids=[c[1] for c in COSTED])
def test_the_cost_table_is_the_golden_asl_walked_along_each_path(title, golden, path, transitions):
    asl = json.loads((GOLDEN / f"{golden}.asl.json").read_text())
    states = states_for_path(asl, path)
    assert len(states) == transitions
    invocations = invocations_for_path(asl, path)
    row = (
        f"| {title} | {' → '.join(states)} | {len(states)} | ${len(states) * TRANSITION_PRICE * 1000:.3f} "
        f"| {invocations} | ${invocations * REQUEST_PRICE * 1000:.4f} |"
    )
    assert row in (DOCS / "cost.md").read_text().split("## Journeys", 1)[1]


def test_the_path_must_say_how_each_wait_for_an_event_was_left():
    asl = json.loads((GOLDEN / "abandoned_cart.asl.json").read_text())
    with pytest.raises(ValueError, match="does not say"):
        states_for_path(asl, [])
    with pytest.raises(ValueError, match="ended before"):
        states_for_path(asl, ["event", "event"])
