"""The README's "A first session", pasted as one block, against ``make run``'s runtime: the card it reads at the
end shows the order (the block waits for the consumer, as the README says the card is eventually consistent)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="the README's block runs curl"),
]

README = Path(__file__).resolve().parents[2] / "README.md"


def first_session_block() -> str:
    """The first ```sh block under ``## A first session``."""
    text = README.read_text()
    section = text.split("\n## A first session\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, "no ```sh block under ## A first session"
    return found.group(1)


def commands(block: str) -> list[str]:
    """The block's commands: continuation lines and lines inside a quoted argument joined, comments dropped."""
    found: list[str] = []
    pending = ""
    for line in block.splitlines():
        pending += line + "\n"
        if pending.count("'") % 2 or pending.rstrip().endswith("\\"):
            continue  # inside a quoted -d body, or a continuation
        statement = re.sub(r"\s+#[^'\"]*$", "", pending.strip())
        if statement and not statement.startswith("#"):
            found.append(statement)
        pending = ""
    return found


def test_the_readme_first_session_block_shows_the_order_on_the_card(platform: Any) -> None:
    block = first_session_block()
    contact, order = f"readme-{uuid.uuid4().hex[:8]}", f"readme-o-{uuid.uuid4().hex[:8]}"
    block = block.replace("localhost:8000", platform.url).replace("u-42", contact).replace('"o-1"', f'"{order}"')
    block = re.sub(r"^KEY=\S+", f"KEY={platform.api_key}", block, flags=re.M)
    assert f"KEY={platform.api_key}" in block, "the block sets KEY"

    outputs: list[tuple[str, str]] = []
    env_lines: list[str] = []
    for command in commands(block):
        if re.match(r"^[A-Z_]+=\S+$", command):
            env_lines.append(command)
            continue
        script = "\n".join([*env_lines, command.replace("curl ", "curl -sS --fail-with-body ", 1)])
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        outputs.append((command, done.stdout))

    card_calls = [out for cmd, out in outputs if cmd.startswith("curl") and cmd.endswith(f"/v1/contacts/{contact}")]
    assert len(card_calls) == 1, "the block reads the card once"
    card = json.loads(card_calls[0])
    assert card["aggregates"]["orderCount"] == 1, card["aggregates"]
    assert card["email"] == "ann@example.com"
    activity = json.loads(outputs[-1][1])
    assert {"Product Viewed"} <= {e["type"] for e in activity["events"]}
