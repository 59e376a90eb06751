"""A workflow drawn as a Mermaid flowchart: one node per block (its kind and what it does), one arrow per branch
(labelled with the branch), and, when counts are given, how many journeys entered each block and took each
branch. Mermaid renders it on GitHub, in most docs tools and at mermaid.live."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.workflows.blocks import (
    Block,
    Condition,
    End,
    GenerateEvent,
    ListChange,
    OneFromMany,
    SendMessage,
    Split,
    UpdateContact,
    Wait,
    WaitForEvent,
    Webhook,
    exits,
)
from chalicelib.workflows.model import Workflow

Counts = Mapping[str, Mapping[str, int]]


def _text(value: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return value.replace('"', "'").replace("\n", " ")[:80]


def _duration(days: int, hours: int, minutes: int) -> str:
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n
    ]
    return " ".join(parts)


def describe(block: Block) -> str:
    """What the block does, in a few words."""
    if isinstance(block, Wait):
        if block.duration is not None:
            d = block.duration
            return f"Wait {_duration(d.days, d.hours, d.minutes)}"
        if block.until is not None:
            return f"Wait until {block.until.weekday + ' ' if block.until.weekday else ''}{block.until.time}"
        assert block.untilDate is not None
        return f"Wait until the date in {block.untilDate.field or block.untilDate.property}"
    if isinstance(block, WaitForEvent):
        t = block.timeout
        return f"Wait for {block.event} (up to {_duration(t.days, t.hours, t.minutes)})"
    if isinstance(block, Condition):
        if block.lastMessage:
            return f"Last message {block.lastMessage}?"
        return "Condition: rule" if block.rule is not None else "Condition: variables"
    if isinstance(block, Split):
        return "Random split " + "/".join(str(b.weight) for b in block.branches)
    if isinstance(block, SendMessage):
        return f"Send {block.channel}: {block.template}"
    if isinstance(block, OneFromMany):
        pool = f"tag {block.tag}" if block.tag else ", ".join(block.templates or [])
        return f"One from many {block.channel}: {pool}"
    if isinstance(block, UpdateContact):
        return "Update " + ", ".join([*block.set, *block.increment])
    if isinstance(block, ListChange):
        return f"{'Add to' if block.type == 'addToList' else 'Remove from'} list {block.list}"
    if isinstance(block, Webhook):
        return f"Webhook {block.method}"
    if isinstance(block, GenerateEvent):
        return f"Generate event {block.event}"
    assert isinstance(block, End)
    return "End"


def _node_id(index: int) -> str:
    return f"b{index}"


def mermaid(workflow: Workflow, counts: Counts | None = None) -> str:
    """The flowchart's Mermaid source (``flowchart TD``). Block ids become labels, never node ids, so any id is safe."""
    ids = {block_id: _node_id(i) for i, block_id in enumerate(workflow.blocks)}
    trigger = workflow.trigger
    start = (
        f"When {trigger.event}"
        if trigger.event
        else f"Enters segment {trigger.segment}"
        if trigger.segment
        else f"{trigger.fieldChange.field} changes"
        if trigger.fieldChange
        else f"Every {trigger.schedule.weekday or 'day'} at {trigger.schedule.time}"
        if trigger.schedule
        else "Started by API"
    )
    lines = ["flowchart TD", f'  start(["{_text(start)}"])', f"  start --> {ids[workflow.start]}"]
    for block_id, block in workflow.blocks.items():
        label = f"{block_id}: {describe(block)}"
        entered = (counts or {}).get(block_id, {}).get("entered")
        if counts is not None:
            label += f" ({entered or 0})"
        shape = (
            ('{{"', '"}}')
            if isinstance(block, (Condition, Split))
            else (('(["', '"])') if isinstance(block, End) else ('["', '"]'))
        )
        lines.append(f"  {ids[block_id]}{shape[0]}{_text(label)}{shape[1]}")
    for block_id, block in workflow.blocks.items():
        for branch, target in exits(block):
            taken = (counts or {}).get(block_id, {}).get(f"exit:{branch}")
            text = "" if branch == "next" else branch
            if counts is not None and taken is not None:
                text = f"{text} {taken}".strip()
            arrow = f" -->|{_text(text)}| " if text else " --> "
            lines.append(f"  {ids[block_id]}{arrow}{ids[target]}")
    return "\n".join(lines) + "\n"
