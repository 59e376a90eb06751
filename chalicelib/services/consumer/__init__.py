"""The events consumer: plans a batch of queue messages by contact, applies each contact's work once, and
announces every contact it changed. Failed records are reported for SQS partial-batch retry.

Planning (``planning``) groups messages by the contact they belong to; applying (``applying``) makes the
one contact write and its undo. A contact whose write changed nothing (redelivered duplicates) or was
undone is never announced.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

from chalicelib.contacts import keys
from chalicelib.contacts.changes import ListenerFailed
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Enricher
from chalicelib.ports import Ports
from chalicelib.services.consumer.applying import NOT_LOADED, ContactWriter, Outcome, Redirect
from chalicelib.services.consumer.planning import Plan, Work
from chalicelib.services.consumer.resolver import Resolver
from chalicelib.services.records import parse_or_park
from chalicelib.services.segments.registry import REGISTRY

log = logging.getLogger("orbit.consumer")

__all__ = ["Consumer", "Enricher"]


class Consumer:
    def __init__(self, ports: Ports, enrich: Enricher | None = None) -> None:
        self.ports = ports
        self.enrich = enrich or (lambda events: events)
        self.writer = ContactWriter(ports)

    def process(self, records: list[tuple[str, str]], retried: Collection[str] = ()) -> list[str]:
        """Apply ``(message id, body)`` records; return the ids that failed. ``retried`` names the records
        delivered before (SQS's receive count above 1): their writes may not have been announced."""
        failed: list[str] = []
        plan = Plan(Resolver(self.ports.contacts, self.ports.suppressions), self.ports.orders)
        for record_id, body in records:
            try:
                message = parse_or_park(self.ports, "events", record_id, body)
                if message is not None:
                    plan.add(message, record_id)
            except Exception:
                log.exception("record %s failed", record_id)
                failed.append(record_id)
        pending = plan.in_order()
        self._enrich(pending)
        self.writer.counter_specs = REGISTRY.snapshot(self.ports).counter_specs
        stored = self.ports.contacts.load_many([w.key for w in pending])
        changed = 0
        # provisional profiles first, so merges into known contacts see their events; each phase in parallel
        phases = [[w for w in pending if not keys.is_known(w.key)], [w for w in pending if keys.is_known(w.key)]]
        while phases:
            phase = phases.pop(0)
            redirected: dict[str, Work] = {}
            for work, result in self._apply_all(phase, stored, retried):
                if isinstance(result, Redirect):
                    redirected.setdefault(result.target, Work(key=result.target)).absorb(work)
                elif isinstance(result, Exception):
                    log.error(
                        "contact failed; its records will retry", exc_info=result, extra={"records": work.record_ids}
                    )
                    failed += work.record_ids
                else:
                    try:
                        changed += self._announce(work, result)
                    except ListenerFailed:
                        log.error("a critical listener failed; the records retry", extra={"records": work.record_ids})
                        failed += work.record_ids
            if redirected:  # work of aliases, for the contacts they point at (rare): once more, fresh reads
                phases.append(list(redirected.values()))
                stored = {}
        log.info(
            "batch applied",
            extra={"records": len(records), "contacts": len(plan.work), "changed": changed, "failed": len(failed)},
        )
        return failed

    def _enrich(self, pending: list[Work]) -> None:
        """Fill catalog fields for the whole batch at once (one catalog read for every product named)."""
        everything = [e for w in pending for e in w.events]
        if not everything:
            return
        enriched = iter(self.enrich(everything))
        for work in pending:
            work.events = [next(enriched) for _ in work.events]

    def _apply_all(
        self, phase: list[Work], stored: dict[str, ContactRecord], retried: Collection[str]
    ) -> list[tuple[Work, Outcome | Exception]]:
        """Each contact's work, written in parallel (contacts are independent); results in the phase's order."""

        def one(work: Work) -> Outcome | Exception:
            again = any(r in retried for r in work.record_ids)
            try:
                return self.writer.apply(work, retried=again, loaded=stored.get(work.key) if stored else NOT_LOADED)
            except Exception as exc:  # reported per contact; a crash (BaseException) ends the batch
                return exc

        workers = min(self.ports.settings.consumer_concurrency, len(phase))
        if workers <= 1:
            return [(work, one(work)) for work in phase]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="contact") as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, work) for work in phase]
            return [(work, future.result()) for work, future in zip(phase, futures, strict=True)]

    def _announce(self, work: Work, outcome: Outcome) -> int:
        """Tell the listeners, on the batch's own thread; 1 when the contact was written."""
        for replay in outcome.replays:
            log.info("change announced again", extra={"records": work.record_ids, "change": replay.version})
            self.ports.changes.announce(replay)
        if outcome.change is None:
            return 0
        # record ids, never the key: a provisional profile's key holds an email or phone
        log.info("contact written", extra={"records": work.record_ids, "new_events": len(outcome.change.events)})
        self.ports.changes.announce(outcome.change)
        return 1
