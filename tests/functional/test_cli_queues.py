"""``queues status`` against a moto stage, ``--local``'s discovery, and the CLI's exit codes for AWS failures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chalicelib import aws
from chalicelib.cli import local
from chalicelib.cli.main import main
from chalicelib.errors import Retryable
from chalicelib.ports import Ports
from chalicelib.storage.queue_status import SqsQueueStatus
from tests.contract.test_publisher import event_msg


def test_status_shows_every_stream(stores: Ports, capsys: pytest.CaptureFixture[str]) -> None:
    stores.publisher.publish([event_msg(n) for n in range(3)])

    assert main(["queues", "status", "--stage", "test"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["STREAM", "WAITING", "IN", "FLIGHT", "OLDEST", "DEAD", "LETTERS"]
    assert lines[1].split() == ["events", "3", "0", "-", "0"]
    assert lines[2].split() == ["imports", "0", "0", "-", "0"]


def test_status_json_and_a_hint_for_parked_messages(stores: Ports, capsys: pytest.CaptureFixture[str]) -> None:
    stores.dead_letters.park("events", "not json", "cannot be parsed")

    assert main(["queues", "status", "--stage", "test", "--queue", "events", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "stream": "events",
        "depth": 0,
        "inFlight": 0,
        "oldestAgeSeconds": None,
        "deadLetters": 1,
    }

    assert main(["queues", "status", "--stage", "test"]) == 0
    assert "events: 1 parked; see them with: dlq list --stage test --queue events" in capsys.readouterr().out


def test_a_failed_aws_call_exits_1(stores: Ports, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    def unavailable(self: SqsQueueStatus, stream: str) -> None:
        raise Retryable("queue orbit-test-events is unavailable")

    monkeypatch.setattr(SqsQueueStatus, "status", unavailable)

    assert main(["queues", "status", "--stage", "test"]) == 1
    assert capsys.readouterr().err == "error: queue orbit-test-events is unavailable\n"


def test_a_missing_stage_exits_2_with_a_hint(stores: Ports, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queues", "status", "--stage", "nostage"]) == 2
    assert "is stage 'nostage' deployed" in capsys.readouterr().err


def test_no_region_is_one_line_and_exit_2(stores: Ports, monkeypatch, tmp_path: Path, capsys) -> None:
    for var in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    aws.reset_clients()
    try:
        code = main(["queues", "status", "--stage", "test"])
    finally:
        aws.reset_clients()

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: no AWS region set: pass --region REGION, or set AWS_DEFAULT_REGION (or use --local for make run)"
    ]


def test_local_without_a_running_runtime_says_how_to_start_one(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("ORBIT_DATA_DIR", str(tmp_path))

    assert main(["--local", "queues", "status"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: no local runtime found") and "make run" in err and len(err.splitlines()) == 1


def test_local_with_a_stale_discovery_file_says_it_is_gone(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("ORBIT_DATA_DIR", str(tmp_path))
    (tmp_path / "runtime.json").write_text(json.dumps({"awsEndpoint": "http://127.0.0.1:4600", "pid": 2**22 + 7}))

    assert main(["queues", "status", "--local"]) == 2
    assert "is gone" in capsys.readouterr().err


def test_local_moves_the_flag_and_defaults_the_stage() -> None:
    assert local.local_argv(["keys", "list", "--local"]) == (["--local", "keys", "list", "--stage", "local"], True)
    assert local.local_argv(["--local", "keys", "list", "--stage", "x"]) == (
        ["--local", "keys", "list", "--stage", "x"],
        True,
    )
    assert local.local_argv(["keys", "list", "--stage", "x"]) == (["keys", "list", "--stage", "x"], False)


def test_local_points_aws_at_the_runtime(tmp_path: Path) -> None:
    runtime = {"apiUrl": "http://127.0.0.1:8000", "awsEndpoint": "http://127.0.0.1:4600", "stage": "local"}
    (tmp_path / "runtime.json").write_text(json.dumps({**runtime, "region": "us-east-1", "pid": os.getpid()}))
    env = {"ORBIT_DATA_DIR": str(tmp_path), "AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "AKIAREAL"}

    local.use_runtime(None, env)

    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4600"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]) == (
        "local",
        "local",
        "us-east-1",
    )
    assert "AWS_PROFILE" not in env
