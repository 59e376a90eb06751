"""Segments on ``make run``'s runtime over real HTTP: a saved segment is computed by the background pollers, and
an event that makes a contact enter shows up as a ``Segment Entered`` event on its activity within seconds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_an_event_enters_a_contact_and_its_activity_shows_segment_entered(platform: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    external_id, segment_id = f"seg-e2e-{tag}", f"shoes-{tag}"
    assert platform.request("PUT", f"/v1/contacts/{external_id}", {"firstName": "Ann"})[0] in (200, 201)
    category = f"Shoes {tag}"  # the runtime is shared with other tests: a category only this test views
    rule = {"event": "Product Viewed", "where": [{"property": "category", "op": "eq", "value": category}]}
    status, created = platform.request("POST", "/v1/segments", {"id": segment_id, "name": "Shoes", "rule": rule})
    assert status == 201, created
    ready = platform.until(
        lambda: platform.request("GET", f"/v1/segments/{segment_id}")[1]["status"] == "ready", timeout=90
    )
    assert ready, "the computation never finished"
    event = {"type": "Product Viewed", "externalId": external_id, "properties": {"category": category}}
    assert platform.request("POST", "/v1/events", {"events": [event]})[0] == 202

    def entered() -> list[dict[str, Any]]:
        activity = platform.request("GET", f"/v1/contacts/{external_id}/activity")[1]
        return [e for e in activity["events"] if e["type"] == "Segment Entered"]

    found = platform.until(entered, timeout=90)  # seconds normally; generous for a loaded machine
    assert [e["properties"]["segmentId"] for e in found] == [segment_id]
    assert platform.request("GET", f"/v1/segments/{segment_id}/count")[1]["count"] == 1
