"""``export members ID``: a list's or a segment's members from a moto stage as CSV or JSON lines, with a progress
bar that knows the total."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from chalicelib.cli.main import main
from chalicelib.contacts.record import ContactRecord
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation, MemberState, SegmentDef
from chalicelib.segments.rules import ListIn
from chalicelib.services.segments import definitions, lists
from tests.conftest import NOW

IDS = [f"u-{n}" for n in range(1, 8)]


@pytest.fixture
def vip(stores: Ports) -> Ports:
    definitions.create_list(stores, ListIn(id="vip", name="VIP"))
    for external_id in IDS:
        stores.contacts.save(ContactRecord(key=f"x#{external_id}"), None)
    lists.add_members(stores, "vip", IDS, NOW)
    return stores


def test_members_export_as_csv_with_a_progress_bar_towards_the_count(vip, tmp_path: Path, capsys) -> None:
    out = tmp_path / "vip.csv"
    assert main(["export", "members", "vip", "--stage", "test", "--out", str(out), "--page-size", "3"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["externalId"] for r in rows) == sorted(IDS)
    assert {r["since"] for r in rows} == {"2026-11-27T12:00:00.000Z"} and list(rows[0]) == ["externalId", "since"]
    err = capsys.readouterr().err
    assert "exporting list vip" in err and "7/7" in err and "exported 7 members of list vip" in err


def test_members_export_as_json_lines(vip, capsys) -> None:
    assert main(["export", "members", "vip", "--stage", "test", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(line["externalId"] for line in lines) == sorted(IDS)
    assert lines[0] == {"externalId": lines[0]["externalId"], "since": "2026-11-27T12:00:00.000Z"}


def test_a_segment_exports_the_generation_it_serves(stores, capsys) -> None:
    stores.segments.create_segment(SegmentDef(id="fans", kind="segment", name="Fans", rule={"all": []}, generation=2))
    member = MemberState(
        member=True, version=1, since="2026-11-20T00:00:00.000Z", changed_at="2026-11-20T00:00:00.000Z"
    )
    stores.memberships.write(Generation("fans", 2), "x#served", member)
    stores.memberships.write(Generation("fans", 3), "x#being-computed", member)
    assert main(["export", "members", "fans", "--stage", "test", "--format", "jsonl"]) == 0
    assert [json.loads(line)["externalId"] for line in capsys.readouterr().out.splitlines()] == ["served"]


def test_an_unknown_id_exits_2_naming_it(stores, capsys) -> None:
    assert main(["export", "members", "nope", "--stage", "test"]) == 2
    assert "No list or segment 'nope'" in capsys.readouterr().err
