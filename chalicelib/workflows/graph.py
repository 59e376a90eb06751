"""The shape of a workflow's block graph: the checks a publishable workflow passes, and its stretches.

A *stretch* is what one task run executes: from a resume point (the start block, or where a pause leads) through
every block up to the next pause (``wait``, ``waitForEvent``) or ``end``. Stretches are what keep journeys cheap:
a condition, a split and three sends between two waits are one state transition, not five.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.workflows.blocks import PAUSES, Block, End, exits
from chalicelib.workflows.model import Workflow


@dataclass(frozen=True)
class Stretch:
    """The blocks a task run may execute from ``start`` (in the order first reached) and the pauses and ends it may
    stop at (in the same order)."""

    start: str
    blocks: tuple[str, ...]
    stops: tuple[str, ...]


def check(workflow: Workflow) -> None:
    """InvalidInput naming each block that makes ``workflow`` unpublishable: a ``next`` naming no block, blocks
    the start never reaches, blocks from which no ``end`` can be reached, and loops without a wait."""
    blocks = workflow.blocks
    errors: list[ErrorDetail] = []
    if workflow.start not in blocks:
        errors.append(ErrorDetail("start", f"names no block ({workflow.start!r})"))
    for block_id, block in blocks.items():
        for branch, target in exits(block):
            if target not in blocks:
                where = "next" if branch == "next" else f"next.{branch}"
                if branch.startswith("branch"):
                    where = f"branches[{int(branch.removeprefix('branch')) - 1}].next"
                errors.append(ErrorDetail(f"blocks.{block_id}.{where}", f"names no block ({target!r})"))
    if errors:
        raise InvalidInput("The workflow's blocks do not connect", errors)
    reached = _reachable(blocks, [workflow.start])
    for block_id in blocks:
        if block_id not in reached:
            errors.append(ErrorDetail(f"blocks.{block_id}", "is never reached from the start block"))
    ending = _reaching_end(blocks)
    for block_id in blocks:
        if block_id in reached and block_id not in ending:
            errors.append(ErrorDetail(f"blocks.{block_id}", "never leads to an end block (a dead end)"))
    for loop in _loops_without_pause(blocks):
        errors.append(
            ErrorDetail(f"blocks.{loop[0]}", f"is in a loop without a wait ({' -> '.join([*loop, loop[0]])})")
        )
    if errors:
        raise InvalidInput("The workflow cannot be published", errors)


def _reachable(blocks: dict[str, Block], roots: list[str]) -> list[str]:
    seen: list[str] = []
    todo = list(roots)
    while todo:
        block_id = todo.pop(0)
        if block_id in seen or block_id not in blocks:
            continue
        seen.append(block_id)
        todo.extend(target for _, target in exits(blocks[block_id]))
    return seen


def _reaching_end(blocks: dict[str, Block]) -> set[str]:
    ending = {block_id for block_id, block in blocks.items() if isinstance(block, End)}
    grew = True
    while grew:
        grew = False
        for block_id, block in blocks.items():
            if block_id not in ending and any(target in ending for _, target in exits(block)):
                ending.add(block_id)
                grew = True
    return ending


def _loops_without_pause(blocks: dict[str, Block]) -> list[list[str]]:
    """Each cycle of non-pause blocks, once (as the first cycle found through its first block in definition
    order)."""
    active = [b for b, block in blocks.items() if not isinstance(block, PAUSES)]
    edges = {b: [t for _, t in exits(blocks[b]) if t in blocks and not isinstance(blocks[t], PAUSES)] for b in active}
    loops: list[list[str]] = []
    covered: set[str] = set()
    for root in active:
        if root in covered:
            continue
        path = _cycle_from(root, edges)
        if path:
            loops.append(path)
            covered.update(path)
    return loops


def _cycle_from(root: str, edges: dict[str, list[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(root, [root])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in edges.get(node, []):
            if target == root:
                return path
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def resume_points(workflow: Workflow) -> list[str]:
    """The start block, then every block a pause leads to, in the order the graph first reaches them."""
    points = [workflow.start]
    for block_id in _reachable(workflow.blocks, [workflow.start]):
        block = workflow.blocks[block_id]
        if isinstance(block, PAUSES):
            for _, target in exits(block):
                if target not in points:
                    points.append(target)
    return points


def stretch(workflow: Workflow, start: str) -> Stretch:
    """The stretch a task run executes from ``start``."""
    blocks = workflow.blocks
    order: list[str] = []
    stops: list[str] = []
    todo = [start]
    while todo:
        block_id = todo.pop(0)
        if block_id in order or block_id in stops:
            continue
        block = blocks[block_id]
        if isinstance(block, (*PAUSES, End)):
            stops.append(block_id)
            continue
        order.append(block_id)
        todo.extend(target for _, target in exits(block))
    return Stretch(start, tuple(order), tuple(stops))


def stretches(workflow: Workflow) -> list[Stretch]:
    return [stretch(workflow, point) for point in resume_points(workflow)]
