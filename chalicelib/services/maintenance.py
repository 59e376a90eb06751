"""Scheduled upkeep of contact aggregates: prune counters of contacts that went quiet.

Active contacts are pruned on every write; quiet ones keep stale day counters (and a larger item,
so costlier writes) until this sweep. One parallel-scan segment per call keeps each run short.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from chalicelib.clock import iso
from chalicelib.contacts import aggregates
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.record import KIND_ALIAS
from chalicelib.errors import Conflict
from chalicelib.ports import Ports


def sweep_counters(ports: Ports, segment: int = 0, total_segments: int = 1) -> dict[str, int]:
    now = ports.clock.now()
    window = ports.settings.counter_window_days
    quiet_since = iso(now - timedelta(days=1))
    scanned = pruned = 0
    for rec in ports.contacts.scan(segment, total_segments):
        scanned += 1
        if rec.kind == KIND_ALIAS or not rec.aggs.get("counters") or rec.updated_at > quiet_since:
            continue
        updated = copy.deepcopy(rec)
        aggregates.prune(updated.aggs, window, now)
        if updated.aggs["counters"] == rec.aggs["counters"]:
            continue
        try:
            ports.contacts.save(updated, rec)
        except Conflict:
            continue  # written meanwhile, which pruned it anyway
        ports.changes.announce(ContactChanged(before=rec, after=updated))
        pruned += 1
    return {"scanned": scanned, "pruned": pruned}
