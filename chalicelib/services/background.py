"""The imports stream's consumer: background work (contact-import chunks, list member chunks, segment
computation parts), each message handled by the use case registered for its kind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalicelib.ports import Ports
from chalicelib.services.records import parse_or_park

log = logging.getLogger("orbit.background")
Handler = Callable[[Ports, Any], None]


def handlers() -> dict[str, Handler]:
    """Message kind -> the use case applying it (imported here, when a batch first needs them)."""
    from chalicelib.services import imports, interest
    from chalicelib.services.messaging import campaigns
    from chalicelib.services.segments import builds, lists
    from chalicelib.services.workflows import deferred, schedules

    return {
        "import": imports.apply_import_chunk,
        "segmentBuild": builds.run_part,
        "listMembers": lists.apply_members_chunk,
        "campaignPage": campaigns.run_page,
        "campaignSend": campaigns.run_send,
        "workflowSend": deferred.run_send,
        "workflowPage": schedules.run_page,
        "productAlert": interest.run_alert,
    }


def consume(ports: Ports, records: list[tuple[str, str]]) -> list[str]:
    """Apply ``(message id, body)`` records; return the ids that failed (they retry, then go to the DLQ)."""
    failed: list[str] = []
    registry = handlers()
    for record_id, body in records:
        try:
            message = parse_or_park(ports, "imports", record_id, body)
            if message is None:
                continue
            handler = registry.get(message.kind)
            if handler is None:
                ports.dead_letters.park("imports", body, f"no handler for {message.kind!r} on the imports stream")
                continue
            handler(ports, message)
        except Exception:
            log.exception("background record %s failed; it will retry", record_id)
            failed.append(record_id)
    return failed
