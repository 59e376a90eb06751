"""docs/lists.md's tasks run as written: every ``bash`` block, in order, in one folder, with ``curl`` against the
app served over HTTP, and the CLI in this process (``--local`` becomes the test's ports). The JSON shown after a
block is what it printed (a job's id aside), and the export writes what the list holds.

The ports are the in-memory fakes (``tests/contract`` holds them to the adapters' contracts): the doc's file
makes 1,200 members, and on moto every membership that flips is a transaction that copies the whole table."""

from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib import deps
from chalicelib.cli.main import main
from chalicelib.clock import FixedClock
from chalicelib.contacts.record import ContactRecord
from chalicelib.ports import Ports
from chalicelib.services import background
from tests.conftest import NOW, SECRET_KEY
from tests.fakes import fake_ports

DOC = Path(__file__).resolve().parents[2] / "docs" / "lists.md"
CLI = "python -m chalicelib.cli "
# what cannot match between the doc and a run: a job's random id
VARYING = ("jobId", "statusUrl")
LOCAL = {"--local": ["--stage", "test"]}  # make run's stage is the test's moto account here


def blocks() -> list[tuple[str, str, str | None]]:
    """``(language, code, the json block right after it or None)`` of the Tasks section, in order."""
    tasks = DOC.read_text().split("\n## Tasks\n", 1)[1].split("\n## Reference\n", 1)[0]
    found = list(re.finditer(r"```(\w+)\n(.*?)```", tasks, re.S))
    out = []
    for i, match in enumerate(found):
        if match.group(1) != "bash":
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        shown = following.group(2) if following is not None and following.group(1) in ("json", "text") else None
        out.append((match.group(1), match.group(2), shown))
    return out


def commands(code: str) -> list[str]:
    """One entry per command: continuation lines joined."""
    return [c.strip() for c in re.sub(r"\\\n\s*", " ", code).splitlines() if c.strip()]


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ports]:
    """In-memory ports with a secret key, used by every handler and by the CLI's export."""
    from chalicelib.cli import export
    from chalicelib.services.keys import create_key

    wired = fake_ports(FixedClock(NOW))
    create_key(wired, "secret", "docs", plaintext=SECRET_KEY)
    deps.pin(wired)
    monkeypatch.setattr(export, "build_ports", lambda stage: wired)
    yield wired
    deps.reset()


@pytest.fixture
def served(ports: Ports) -> Iterator[str]:
    """The app over HTTP on a free port (Chalice's local server in a thread)."""
    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app
    from chalicelib.local.http_server import _handler_class
    from chalicelib.local.runtime import free_port

    port = free_port()
    server = LocalDevServer(app, Config(chalice_stage="test", config_from_disk={}), "127.0.0.1", port, _handler_class())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


def drain(ports: Ports) -> None:
    """The background consumer applies everything queued on the imports stream."""
    while records := ports.publisher.drain_records("imports"):  # type: ignore[attr-defined]
        assert background.consume(ports, records) == []


def ids_file(folder: Path, ports: Ports) -> list[str]:
    """The doc's ``ids.txt``: 1,200 known contacts, one that does not exist (line 17), a malformed one last."""
    known = [f"c-{n}" for n in range(1, 1201)]
    for external_id in known:
        ports.contacts.save(ContactRecord(key=f"x#{external_id}"), None)
    lines = [*known[:17], "c-deleted-last-year", *known[17:], " c-7"]
    (folder / "ids.txt").write_text("\n".join(lines) + "\n")
    return lines


def same_shape(shown: Any, got: Any) -> None:
    """The doc's JSON equals the answer, except for values that differ run to run."""
    assert isinstance(got, dict) and set(got) == set(shown), (shown, got)
    for key, value in shown.items():
        if key not in VARYING:
            assert got[key] == value, key


def test_the_tasks_in_docs_lists_md_run_as_written(ports, served, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ids_file(tmp_path, ports)
    env_file = tmp_path / "env.sh"
    env_file.write_text(f"export ORBIT={shlex.quote(served)} SECRET_KEY={shlex.quote(SECRET_KEY)}\n")
    ran = blocks()
    assert len(ran) >= 3, "create, fill, status and export blocks"
    for _language, code, shown in ran:
        printed = ""
        for command in commands(code):
            if command.startswith(CLI):
                argv = [part for a in shlex.split(command[len(CLI) :]) for part in LOCAL.get(a, [a])]
                assert main(argv) == 0, capsys.readouterr().err
                continue
            # each command in bash, the variables of the earlier ones kept (set -a exports what is assigned)
            script = f"set -a -e -o pipefail\n. {env_file}\n{command}\nexport -p > {env_file}\n"
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
            assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
            printed += done.stdout
        drain(ports)  # the consumer applies what the block queued, as it would within seconds
        if shown is not None and shown.lstrip().startswith("{"):
            same_shape(json.loads(shown), json.loads(printed))
        elif shown is not None:
            header = shown.splitlines()[0]
            assert printed.splitlines()[0] == header
    exported = list(csv.DictReader((tmp_path / "vip.csv").open(encoding="utf-8")))
    assert len(exported) == 1200 and {r["externalId"] for r in exported} == {f"c-{n}" for n in range(1, 1201)}
    assert {r["since"] for r in exported} == {"2026-11-27T12:00:00.000Z"}
