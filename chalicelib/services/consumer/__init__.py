"""The events consumer: plans a batch of queue messages by contact, applies each contact's work once, and
announces every contact it changed. Failed records are reported for SQS partial-batch retry.

Planning (``planning``) groups messages by the contact they belong to; applying (``applying``) makes the
one contact write and its undo. A contact whose write changed nothing (redelivered duplicates) or was
undone is never announced.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from chalicelib.events.models import Enricher
from chalicelib.ports import Ports
from chalicelib.services.consumer.applying import ContactWriter, Redirect
from chalicelib.services.consumer.planning import Plan, Work
from chalicelib.services.consumer.resolver import Resolver
from chalicelib.services.records import parse_or_park

log = logging.getLogger("orbit.consumer")

__all__ = ["Consumer", "Enricher"]


class Consumer:
    def __init__(self, ports: Ports, enrich: Enricher | None = None) -> None:
        self.ports = ports
        self.writer = ContactWriter(ports, enrich)

    def process(self, records: list[tuple[str, str]], retried: Collection[str] = ()) -> list[str]:
        """Apply ``(message id, body)`` records; return the ids that failed. ``retried`` names the records
        delivered before (SQS's receive count above 1): their writes may not have been announced."""
        failed: list[str] = []
        plan = Plan(Resolver(self.ports.contacts), self.ports.orders)
        for record_id, body in records:
            try:
                message = parse_or_park(self.ports, "events", record_id, body)
                if message is not None:
                    plan.add(message, record_id)
            except Exception:
                log.exception("record %s failed", record_id)
                failed.append(record_id)
        pending = plan.in_order()
        changed = 0
        while pending:
            work = pending.pop(0)
            try:
                outcome = self.writer.apply(work, retried=any(r in retried for r in work.record_ids))
            except Redirect as redirect:
                _target(pending, redirect.target).absorb(work)
                continue
            except Exception:
                log.exception("contact %s failed; %d records will retry", work.key, len(work.record_ids))
                failed += work.record_ids
                continue
            for replay in outcome.replays:
                log.info("change announced again", extra={"records": work.record_ids, "change": replay.version})
                self.ports.changes.announce(replay)
            if outcome.change is not None:
                changed += 1
                # record ids, never the key: a provisional profile's key holds an email or phone
                log.info(
                    "contact written", extra={"records": work.record_ids, "new_events": len(outcome.change.events)}
                )
                self.ports.changes.announce(outcome.change)
        log.info(
            "batch applied",
            extra={"records": len(records), "contacts": len(plan.work), "changed": changed, "failed": len(failed)},
        )
        return failed


def _target(pending: list[Work], key: str) -> Work:
    """The pending work of ``key``, added at the end when the batch had none."""
    found = next((w for w in pending if w.key == key), None)
    if found is None:
        found = Work(key=key)
        pending.append(found)
    return found
