"""The scheduled rebuild: every contact's product interactions of the last ``WINDOW_DAYS`` and the catalog, turned
into the precomputed lists by ``recommendations.models`` and written with one ``put_many``.

Incremental where the data allows: a rebuild keeps the ``Counts`` it ended with (``put_counts``, at most once per
``KEEP_EVERY``), and the next one reads only the events after them, decays them to now and adds those, when they
come from a full rebuild less than ``FULL_EVERY`` ago; otherwise (none kept, too old, unreadable) it counts the whole
window again. The weekly full rebuild drops what left the window (and contacts erased or merged since). A run that
stopped at the budget keeps no counts, so the next one is full.

One run reads everything (the models need every contact's interactions together): the contacts table is scanned
in ``PARTS`` parallel parts, each contact's events read with ``EventLog.since``, the catalog paged. A run stops
reading at ``BUDGET_SECONDS`` (Lambda allows 900) and builds from what it read, logging ``complete: false``.
One events Query per contact at a few milliseconds puts that limit near a million contacts on 8 parts (an
estimate, not measured); past it the reading must move to the background stream in parts, as segment
computations do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from chalicelib.catalog.models import Product
from chalicelib.clock import iso
from chalicelib.contacts.record import KIND_ALIAS
from chalicelib.ports import Ports
from chalicelib.recommendations import models
from chalicelib.recommendations.counts import Counts, KeptCounts
from chalicelib.recommendations.interactions import Interaction, from_events

log = logging.getLogger("orbit.recommendations")

WINDOW_DAYS = 90  # interactions older than this are not read (the models decay them to little anyway)
PARTS = 8  # parallel scan parts, each read by a thread of its own
BUDGET_SECONDS = 11 * 60.0  # reading stops here, leaving time to build and write before Lambda's 15 minutes
CATALOG_PAGE = 500
PER_KEY = 50  # products kept per list: serving filters (stock, purchased, categories) take from these
FULL_EVERY = timedelta(days=7)  # kept counts older than this (since their full rebuild) are counted again
# kept counts are saved again only this often: saving them costs more write units than the lists (docs/benchmarks.md),
# and the hourly runs between two saves read the day's events since the last one
KEEP_EVERY = timedelta(days=1)


@dataclass
class Rebuild:
    """What a rebuild read and wrote, as the job logs it."""

    contacts: int = 0
    events: int = 0
    interactions: int = 0
    products: int = 0
    lists: int = 0
    write_units: int = 0
    counts_write_units: int = 0  # keeping the counts for the next run
    incremental: bool = False  # True: only events since the kept counts were read
    seconds: float = 0.0
    complete: bool = True  # False: reading stopped at the budget, and the lists come from what was read

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Read:
    interactions: list[Interaction]
    contacts: int = 0
    events: int = 0
    complete: bool = True


def catalog(ports: Ports) -> dict[str, Product]:
    """Every current product by id."""
    found: dict[str, Product] = {}
    start = None
    while True:
        page, start = ports.catalog.page(CATALOG_PAGE, start)
        found.update((p.product.productId, p.product) for p in page)
        if start is None:
            return found


def _read_part(ports: Ports, part: int, parts: int, since: datetime, deadline: float) -> _Read:
    read = _Read([])
    for record in ports.contacts.scan(part, parts):
        if record.kind == KIND_ALIAS:
            continue  # a merged profile's events moved to its contact
        if time.monotonic() > deadline:
            read.complete = False
            break
        read.contacts += 1
        events = list(ports.events.since(record.key, since))
        read.events += len(events)
        read.interactions.extend(from_events(events, contact_key=record.key))
    return read


def interactions(
    ports: Ports, since: datetime, *, parts: int = PARTS, budget: float = BUDGET_SECONDS
) -> tuple[list[Interaction], Rebuild]:
    """Every contact's interactions timed at or after ``since``, read in ``parts`` parallel scan parts for up to
    ``budget`` seconds, and the counts of what was read."""
    deadline = time.monotonic() + budget
    with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="recommendations") as pool:
        reads = list(pool.map(lambda part: _read_part(ports, part, parts, since, deadline), range(parts)))
    found = [i for r in reads for i in r.interactions]
    counts = Rebuild(
        contacts=sum(r.contacts for r in reads),
        events=sum(r.events for r in reads),
        interactions=len(found),
        complete=all(r.complete for r in reads),
    )
    return found, counts


def _usable(kept: KeptCounts | None, now: datetime) -> KeptCounts | None:
    if kept is None or kept.counts.as_of > now or now - datetime.fromisoformat(kept.full_at) >= FULL_EVERY:
        return None
    return kept


def rebuild(ports: Ports, *, parts: int = PARTS, budget: float = BUDGET_SECONDS, full: bool = False) -> Rebuild:
    """Read, build and write every precomputed list (from the kept counts and the events since them unless
    ``full`` or they cannot be used), keep the counts; the outcome is logged and returned."""
    started = time.monotonic()
    now = ports.clock.now()
    products = catalog(ports)
    kept = None if full else _usable(ports.recommendations.get_counts(), now)
    if kept is not None:
        counts, full_at = kept.counts, kept.full_at
        found, outcome = interactions(ports, counts.as_of, parts=parts, budget=budget)
        counts.add(i for i in found if counts.as_of < i.at <= now)  # at as_of: counted already
        outcome.incremental = True
    else:
        counts, full_at = Counts(as_of=now - timedelta(days=WINDOW_DAYS)), iso(now)
        found, outcome = interactions(ports, counts.as_of, parts=parts, budget=budget)
        counts.add(i for i in found if i.at <= now)
    counts.decay_to(now)
    lists: Mapping[tuple[str, str], list[models.Scored]] = models.lists(counts, products, per_key=PER_KEY)
    if outcome.complete and (kept is None or now - datetime.fromisoformat(kept.built_at) >= KEEP_EVERY):
        counts.prune()
        outcome.counts_write_units = ports.recommendations.put_counts(KeptCounts(counts, iso(now), full_at))
    outcome.products = len(products)
    outcome.lists = len(lists)
    outcome.write_units = ports.recommendations.put_many(lists, iso(now)) if lists else 0
    outcome.seconds = round(time.monotonic() - started, 3)
    if outcome.complete:
        log.info("recommendations rebuilt", extra=outcome.as_dict())
    else:
        log.warning("recommendations rebuilt from part of the events (out of time)", extra=outcome.as_dict())
    return outcome
