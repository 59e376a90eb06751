"""End to end: ``make run``'s data survives a restart; ``ORBIT_FRESH=1`` starts empty; the embedded AWS (a child
process) never outlives the runtime. Each test starts the runtime as a subprocess on its own data folder."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from chalicelib.local.persistence import PREVIOUS_FILE, SNAPSHOT_FILE
from tests.conftest import start_platform, stop_platform

pytestmark = pytest.mark.e2e

EVENT = {"type": "Product Viewed", "externalId": "keep-1", "eventId": "kept-e1", "properties": {"product_id": "sku-7"}}


def moto_pid(banner: str) -> int:
    found = re.search(r"moto, pid (\d+)", banner)
    assert found, banner
    return int(found.group(1))


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_contact_and_a_queued_event_survive_a_restart_and_the_event_is_folded_after_it(tmp_path):
    data = {"ORBIT_DATA_DIR": str(tmp_path / "data")}

    # GIVEN a runtime whose queues are not polled: an event posted to it stays queued
    first = start_platform({**data, "ORBIT_POLLERS": "0"})
    try:
        assert "nothing saved in" in first.banner and "not polled" in first.banner
        assert first.request("PUT", "/v1/contacts/keep-1", {"email": "keep@example.com", "firstName": "Kay"})[0] == 201
        assert first.request("POST", "/v1/events", {"events": [EVENT]})[1]["accepted"] == 1
        assert alive(moto_pid(first.banner))
    finally:
        stop_platform(first)  # WHEN it stops cleanly
    assert gone(moto_pid(first.banner)), "the embedded AWS outlived the runtime"
    saved = json.loads((tmp_path / "data" / SNAPSHOT_FILE).read_text())
    queued = [m["body"] for rows in saved["queues"].values() for m in rows]
    assert any("kept-e1" in body for body in queued)

    # THEN a second start restores the contact and the queued event, and folds the event
    second = start_platform(data)
    try:
        restored = re.search(r"restored ([\d,]+) items and ([\d,]+) queued messages from", second.banner)
        assert restored, second.banner
        assert int(restored.group(1).replace(",", "")) > 0 and int(restored.group(2)) >= 1
        status, card = second.request("GET", "/v1/contacts/keep-1")
        assert (status, card["email"]) == (200, "keep@example.com")

        def folded():
            aggs = second.request("GET", "/v1/contacts/keep-1")[1]["aggregates"]
            return aggs if "Product Viewed" in aggs["eventCounts"] else None

        assert second.until(folded), "the restored event was not consumed"
    finally:
        stop_platform(second)
    assert gone(moto_pid(second.banner))

    # AND ORBIT_FRESH=1 starts empty, keeping the previous snapshot aside
    third = start_platform({**data, "ORBIT_FRESH": "1"})
    try:
        assert "ORBIT_FRESH=1: starting empty" in third.banner
        assert third.request("GET", "/v1/contacts/keep-1")[0] == 404
    finally:
        stop_platform(third)
    assert (tmp_path / "data" / PREVIOUS_FILE).exists()
    assert "keep@example.com" not in (tmp_path / "data" / SNAPSHOT_FILE).read_text()


def test_the_embedded_aws_saves_and_exits_when_the_runtime_is_killed(tmp_path):
    data_dir = tmp_path / "data"
    platform = start_platform({"ORBIT_DATA_DIR": str(data_dir)})
    child = moto_pid(platform.banner)
    try:
        assert platform.request("PUT", "/v1/contacts/orphan-1", {"email": "orphan@example.com"})[0] == 201
        platform.process.kill()  # no clean shutdown: the child notices its parent is gone
        platform.process.wait(timeout=10)
        assert gone(child), "the embedded AWS outlived a killed runtime"
    finally:
        if alive(child):
            os.kill(child, 9)
        platform.process.stdout.close()
    assert "orphan@example.com" in (data_dir / SNAPSHOT_FILE).read_text()


def test_an_embedded_aws_that_was_never_armed_leaves_the_saved_data_alone(tmp_path):
    from chalicelib.local.aws_server import EmbeddedAws

    (tmp_path / SNAPSHOT_FILE).write_text("the last good snapshot")
    never_armed = EmbeddedAws(tmp_path).start()  # as when a start fails before restoring
    pid = never_armed.pid
    assert never_armed.stop() == 0 and gone(pid)
    assert (tmp_path / SNAPSHOT_FILE).read_text() == "the last good snapshot"

    armed = EmbeddedAws(tmp_path).start()
    armed.arm()
    assert armed.stop() == 0
    assert json.loads((tmp_path / SNAPSHOT_FILE).read_text())["format"] == "orbit-local-snapshot"
