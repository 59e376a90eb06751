"""The daily regular-demand scan: every contact's orders read, each product's reorder interval learned
(``triggers.reorder``), and a personal ``Reorder Due`` event published for each product expected within the lead
days, which the ``regularDemand`` trigger's workflow answers.

The contacts table is scanned in ``PARTS`` parallel parts, one thread each, with one orders query per key of the
contact (its own and those merged into it). An event's id is derived from the contact, the product and the due
date, so a second run finds the same demand and publishes an event the consumer drops as a duplicate. A run stops
reading at ``BUDGET_SECONDS`` and says so (``complete: false``); the next day's run reads everyone again.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime

from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_ALIAS, ContactRecord
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.ports import Ports
from chalicelib.services.orders import contact_keys
from chalicelib.triggers import reorder

log = logging.getLogger("orbit.reorder")

PARTS = 8
BUDGET_SECONDS = 12 * 60.0  # Lambda allows 15 minutes
LEAD_DAYS = 2  # a product expected within this many days is due


@dataclass
class Scan:
    """What a scan read and published, as the job logs it."""

    contacts: int = 0
    orders: int = 0
    due: int = 0
    seconds: float = 0.0
    complete: bool = True

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def identity(key: str) -> Identity | None:
    """Who an event about the contact with ``key`` names (None for a key of no known kind)."""
    for prefix, field in ((keys.KNOWN, "externalId"), (keys.EMAIL, "email"), (keys.PHONE, "phone")):
        if key.startswith(prefix):
            return Identity.model_validate({field: key[len(prefix) :]})
    if key.startswith(keys.ANONYMOUS):
        return Identity(anonymousId=key[len(keys.ANONYMOUS) :])
    return None


def events_for(ports: Ports, record: ContactRecord, now: datetime, lead_days: int) -> tuple[list[Event], int]:
    """The ``Reorder Due`` events the contact has due, and how many orders were read."""
    who = identity(record.key)
    if who is None:
        return [], 0
    orders = [o for key in contact_keys(ports, record) for o in ports.orders.for_contact(key)]
    found = [
        Event(
            eventId=reorder.event_id(record.key, demand),
            type=reorder.REORDER_DUE,
            identity=who,
            timestamp=now,
            receivedAt=now,
            properties=reorder.properties(demand),
            source="reorder",
        )
        for demand in reorder.due(reorder.learn(orders), now, lead_days)
    ]
    return found, len(orders)


def _scan_part(ports: Ports, part: int, parts: int, lead_days: int, deadline: float) -> Scan:
    done = Scan()
    now = ports.clock.now()
    for record in ports.contacts.scan(part, parts):
        if record.kind == KIND_ALIAS:
            continue  # a merged profile: its orders are read with the contact it went into
        if time.monotonic() > deadline:
            done.complete = False
            break
        events, orders = events_for(ports, record, now, lead_days)
        done.contacts += 1
        done.orders += orders
        if events:
            ports.publisher.publish([EventMsg(event=e) for e in events])
            done.due += len(events)
    return done


def scan(ports: Ports, *, lead_days: int = LEAD_DAYS, parts: int = PARTS, budget: float = BUDGET_SECONDS) -> Scan:
    """Publish every contact's due ``Reorder Due`` events; the outcome is logged and returned."""
    started = time.monotonic()
    deadline = started + budget
    with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="reorder") as pool:
        done = list(pool.map(lambda part: _scan_part(ports, part, parts, lead_days, deadline), range(parts)))
    outcome = Scan(
        contacts=sum(d.contacts for d in done),
        orders=sum(d.orders for d in done),
        due=sum(d.due for d in done),
        seconds=round(time.monotonic() - started, 3),
        complete=all(d.complete for d in done),
    )
    if outcome.complete:
        log.info("reorder scan finished", extra=outcome.as_dict())
    else:
        log.warning("reorder scan stopped at its time budget", extra=outcome.as_dict())
    return outcome
