"""End to end: what the local runtime offers tools: readable log lines, /health, the landing page, a stable AWS
port with a discovery file for ``cli --local``, and a one-line refusal when a port is taken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.local.runtime import free_port
from tests.conftest import Platform, start_platform, stop_platform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("orbit-tooling")


@pytest.fixture(scope="module")
def aws_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def running(home: Path, aws_port: int) -> Iterator[Platform]:
    started = start_platform({"ORBIT_DATA_DIR": str(home), "ORBIT_AWS_PORT": str(aws_port)})
    yield started
    stop_platform(started)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORBIT_", "MOTO_"))}
    return {**env, **extra}


def _printed(platform: Platform, text: str, timeout: float = 20.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(platform.lines):
            if text in line:
                return line
        time.sleep(0.1)
    return None


def test_the_banner_says_how_to_point_tools_at_the_stable_aws_port(running: Platform, aws_port: int) -> None:
    endpoint = f"http://127.0.0.1:{aws_port}"
    assert f"embedded AWS at {endpoint}" in running.banner
    assert (
        f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local "
        "AWS_DEFAULT_REGION=us-east-1" in running.banner
    )
    assert "python -m chalicelib.cli --local queues status" in running.banner


def test_requests_and_consumer_batches_are_short_lines(running: Platform) -> None:
    body = {"events": [{"type": "Login", "externalId": "u-tooling", "eventId": "e-tooling"}]}
    assert running.request("POST", "/v1/events", body)[0] == 202

    request = _printed(running, "POST /v1/events 202 ")
    batch = _printed(running, "consumer: ")
    assert request is not None and request.rstrip().endswith("ms") and not request.startswith("{")
    assert batch is not None and batch.rstrip().endswith("1 records, 1 contacts, 0 failed")


def test_health_reports_every_part(running: Platform) -> None:
    status, body = running.request("GET", "/health")

    assert status == 200 and body["status"] == "ok"
    parts = body["parts"]
    assert set(parts) == {"api", "aws", "pollers", "scheduler", "queues"}
    assert parts["aws"]["reachable"] is True and parts["aws"]["embedded"] is True
    assert parts["pollers"]["consume_events"]["alive"] is True
    assert parts["scheduler"]["alive"] is True
    assert set(parts["queues"]["events"]) == {"depth", "inFlight", "oldestAgeSeconds", "deadLetters"}


def test_the_root_is_a_landing_page(running: Platform) -> None:
    with urllib.request.urlopen(running.url + "/", timeout=10) as response:
        page = response.read().decode()
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/html")
    assert all(f'href="/{link}"' in page for link in ("docs", "demo/", "health"))


def test_the_cli_finds_the_runtime_with_local(running: Platform, home: Path, aws_port: int) -> None:
    found = json.loads((home / "runtime.json").read_text())
    assert found["awsEndpoint"] == f"http://127.0.0.1:{aws_port}"
    assert (found["apiUrl"], found["stage"]) == (running.url, "local")

    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", "--local", "queues", "status"],
        env=_env(ORBIT_DATA_DIR=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("STREAM")
    assert {line.split()[0] for line in done.stdout.splitlines()[1:3]} == {"events", "imports"}


@pytest.mark.parametrize("taken", ["PORT", "ORBIT_AWS_PORT"])
def test_a_second_runtime_on_a_busy_port_refuses_in_one_line(
    running: Platform, aws_port: int, tmp_path: Path, taken: str
) -> None:
    api_port = running.url.rsplit(":", 1)[1] if taken == "PORT" else str(free_port())
    env = _env(PORT=api_port, ORBIT_AWS_PORT=str(aws_port) if taken == "ORBIT_AWS_PORT" else str(free_port()))
    env["ORBIT_DATA_DIR"] = str(tmp_path)
    started = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.local.runtime"], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert time.monotonic() - started < 10
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Cannot start: port") and f"set {taken} to a free one" in line


def test_a_clean_stop_removes_the_discovery_file(tmp_path: Path) -> None:
    own = start_platform({"ORBIT_DATA_DIR": str(tmp_path)})  # its own runtime: tests may run in any order
    assert (tmp_path / "runtime.json").exists()

    output = stop_platform(own)

    assert "Stopped." in output
    assert not (tmp_path / "runtime.json").exists()
