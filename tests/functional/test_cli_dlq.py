"""``dlq list|redrive`` against a moto stage: a poison record parked by the consumer, seen, and sent back."""

from __future__ import annotations

import json

import pytest

from chalicelib.cli.main import main
from tests.conftest import Api, sqs_record


def park_poison(api: Api) -> None:
    from app import consume_events

    assert consume_events({"Records": [sqs_record('{"kind": "event", "event": {}}', "p-1")]}, None) == {
        "batchItemFailures": []
    }


def test_list_shows_the_parked_record_with_its_reason(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    park_poison(api)

    assert main(["dlq", "list", "--stage", "test"]) == 0

    out = capsys.readouterr().out
    assert "cannot be parsed" in out and '{"kind": "event", "event": {}}' in out and "1 parked" in out


def test_list_as_json_lines_gives_whole_bodies(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    park_poison(api)

    assert main(["dlq", "list", "--stage", "test", "--json"]) == 0

    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["body"] == '{"kind": "event", "event": {}}'


def test_an_empty_dead_letter_queue_says_so(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "list", "--stage", "test", "--queue", "imports"]) == 0
    assert "is empty" in capsys.readouterr().out


def test_redrive_sends_parked_records_back_to_their_queue(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    park_poison(api)

    assert main(["dlq", "redrive", "--stage", "test"]) == 0

    assert "Sent 1 message back to the events queue" in capsys.readouterr().out
    assert main(["dlq", "list", "--stage", "test"]) == 0
    assert "is empty" in capsys.readouterr().out
    assert api.drain() == 1  # the consumer sees it again (and parks it again: it is still poison)
