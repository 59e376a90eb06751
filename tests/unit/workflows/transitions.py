"""State transitions a journey makes, counted from its compiled States Language (Step Functions Standard bills each
state entered). Test-only: docs/cost.md's journey figures come from it, and the end-to-end journeys confirm them
against real executions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TERMINAL = ("Succeed", "Fail")


def transitions_for_path(asl: dict[str, Any], path: Sequence[str] = ()) -> int:
    """State transitions (states entered) of an execution of ``asl`` that takes ``path`` (see ``states_for_path``)."""
    return len(states_for_path(asl, path))


def invocations_for_path(asl: dict[str, Any], path: Sequence[str] = ()) -> int:
    """Lambda invocations of that execution: one per Task state entered (each calls the workflow task function)."""
    return sum(1 for name in states_for_path(asl, path) if asl["States"][name]["Type"] == "Task")


def states_for_path(asl: dict[str, Any], path: Sequence[str] = ()) -> list[str]:
    """The states an execution of ``asl`` enters, in order, when it takes ``path``: at each ``Route <block>`` Choice
    state the next item names the stop block the stretch reached; at each ``Await <block>`` state it names how the
    wait was left (``event`` or ``timeout``). Other states have one way on. ValueError when ``path`` runs short or
    is left over."""
    states = asl["States"]
    todo = list(path)
    name = asl["StartAt"]
    entered: list[str] = []
    while True:
        state = states[name]
        entered.append(name)
        if state["Type"] in TERMINAL or state.get("End"):
            break
        if state["Type"] == "Choice":
            stop = _take(todo, name)
            name = next(c["Next"] for c in state["Choices"] if c["StringEquals"] == stop)
        elif name.startswith("Await "):
            left = _take(todo, name)
            if left == "event":
                name = state["Next"]
            elif left == "timeout":
                name = next(c["Next"] for c in state["Catch"] if c["ErrorEquals"] == ["States.Timeout"])
            else:
                raise ValueError(f"{name} is left by event or timeout, not {left!r}")
        else:
            name = state["Next"]
    if todo:
        raise ValueError(f"the execution ended before {todo!r}")
    return entered


def _take(todo: list[str], at: str) -> str:
    if not todo:
        raise ValueError(f"the path does not say which way {at} goes")
    return todo.pop(0)
