"""The Python examples in docs/ run, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from tests.conftest import NOW

DOCS = Path(__file__).resolve().parents[2] / "docs"


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)


def body_of(external_id: str, properties: dict[str, Any]) -> str:
    """A queue body for a tracked event of ``properties["type"]`` by a known contact."""
    props = dict(properties)
    event = Event(
        eventId=f"{external_id}-{props.get('order_id', 'e')}",
        type=props.pop("type"),
        identity=Identity(externalId=external_id),
        timestamp=NOW,
        receivedAt=NOW,
        properties=props,
    )
    return EventMsg(event=event).body()


def test_architecture_subscriber_example_runs(stores):
    (example,) = python_blocks("architecture.md")
    exec(compile(example, "docs/architecture.md", "exec"), {"ports": stores, "body_of": body_of})
