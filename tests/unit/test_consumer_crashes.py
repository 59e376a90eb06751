"""Exactly-once across crashes: the consumer is killed at every write boundary of a batch (before and after
each write), SQS redelivers the whole batch, and the stored rows, contacts, orders and announced changes end
exactly as in a run that never crashed.

A crash is a ``BaseException`` the consumer cannot catch, as a Lambda killed mid-batch never reports back.
Announcements are compared by change id (listeners that must act once dedupe by it): a change announced
before the crash may be announced again by the redelivery, and one the crash swallowed must be.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.contacts.changes import ContactChanged
from chalicelib.events.models import Event, Identity
from chalicelib.identity.commands import IdentifyCommand
from chalicelib.messages import EventMsg, IdentifyMsg, OrderMsg
from chalicelib.ports import Ports
from chalicelib.services.consumer import Consumer
from tests.fakes import NOW, fake_ports

WRITES = {  # the writes a batch makes, by port
    "contacts": ("save",),
    "events": ("insert", "move_all"),
    "orders": ("save",),
}


class Crash(BaseException):
    """The process died."""


@dataclass
class Fuse:
    """Counts writes and kills the process at write ``at``, before or after it happens. Contacts are written
    in parallel, so which write is the ``at``-th varies between runs; every interleaving must end right."""

    at: int | None = None
    after: bool = False
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                n = self.count
                self.count += 1
            if n == self.at and not self.after:
                raise Crash(f"before write {n}")
            result = call(*args, **kwargs)
            if n == self.at and self.after:
                raise Crash(f"after write {n}")
            return result

        return write


def fused(ports: Ports, fuse: Fuse) -> Ports:
    """``ports`` whose writes go through ``fuse`` (reads are untouched)."""
    for port, methods in WRITES.items():
        target = getattr(ports, port)
        for method in methods:
            setattr(target, method, fuse.wrap(getattr(target, method)))
    return ports


def event(event_id: str, type_: str, minutes: int, external_id: str | None = "u-1", **props: Any) -> Event:
    return Event(
        eventId=event_id,
        type=type_,
        identity=Identity(externalId=external_id, anonymousId=None if external_id else "anon-1"),
        timestamp=NOW - timedelta(minutes=minutes),
        receivedAt=NOW,
        properties=props,
    )


def order(order_id: str, status: str, total: str) -> dict[str, Any]:
    return {
        "externalOrderId": order_id,
        "externalId": "u-1",
        "status": status,
        "date": (NOW - timedelta(hours=1)).isoformat(),
        "totalCost": total,
        "currency": "USD",
    }


SEED = [  # an earlier, clean batch: a visitor browsing anonymously, and an order in progress
    ("s1", EventMsg(event=event("a1", "Product Viewed", 50, None, product_id="sku-1", price=20)).body()),
    ("s2", EventMsg(event=event("a2", "Login", 45, None)).body()),
    ("s3", OrderMsg(order=order("o-1", "IN_PROGRESS", "40.00"), receivedAt=NOW.isoformat()).body()),
]
BATCH = [  # the batch that crashes: the visitor signs in (a merge), events, an order delivered, a web order
    (
        "m1",
        IdentifyMsg(
            command=IdentifyCommand(externalId="u-1", anonymousId="anon-1", traits={}, messageId="i1", timestamp=NOW)
        ).body(),
    ),
    ("m2", EventMsg(event=event("e1", "Login", 30)).body()),
    ("m3", EventMsg(event=event("e2", "Product Viewed", 20, product_id="sku-2", price=35)).body()),
    ("m4", OrderMsg(order=order("o-1", "DELIVERED", "40.00"), receivedAt=NOW.isoformat()).body()),
    (
        "m5",
        EventMsg(
            event=event("e3", "Order Completed", 10, order_id="o-2", total=15, products=[{"product_id": "sku-2"}])
        ).body(),
    ),
    ("m6", EventMsg(event=event("e4", "Login", 5, "u-2")).body()),
    ("m7", EventMsg(event=event("e1", "Login", 30)).body()),  # a duplicate inside the batch
]


@dataclass
class Outcome:
    ports: Ports
    announced: dict[str, set[str]] = field(default_factory=dict)

    def hear(self, change: ContactChanged) -> None:
        self.announced.setdefault(change.change_id, set()).update(e.eventId for e in change.events)

    def state(self) -> dict[str, Any]:
        contacts = {
            key: (rec.kind, rec.profile, rec.aggs, sorted(rec.merged), rec.merged_into, rec.version, rec.folded)
            for key in ("x#u-1", "x#u-2", "a#anon-1")
            if (rec := self.ports.contacts.load(key)) is not None
        }
        rows = {key: self.ports.events.activity(key, 100)[0] for key in ("x#u-1", "x#u-2", "a#anon-1")}
        orders = {o: self.ports.orders.load(o) for o in ("o-1", "o-2")}
        return {"contacts": contacts, "rows": rows, "orders": orders}


def run(fuse: Fuse | None) -> Outcome:
    ports = fake_ports()
    assert Consumer(ports).process(SEED) == []
    outcome = Outcome(ports)
    ports.changes.subscribe(outcome.hear)
    if fuse is None:
        assert Consumer(ports).process(BATCH) == []
        return outcome
    with contextlib.suppress(Crash):
        Consumer(fused(ports, fuse)).process(BATCH)
    fuse.at = None  # the redelivery runs on a healthy process
    assert Consumer(ports).process(BATCH, retried={r for r, _ in BATCH}) == []
    return outcome


def writes_in_batch() -> int:
    fuse = Fuse()
    run(fuse)
    return fuse.count


BASELINE = run(None)
BOUNDARIES = [(n, after) for n in range(writes_in_batch()) for after in (False, True)]


def test_the_batch_makes_enough_writes_to_be_worth_crashing() -> None:
    assert len(BOUNDARIES) >= 20


@pytest.mark.parametrize(("at", "after"), BOUNDARIES, ids=[f"{'after' if a else 'before'}-{n}" for n, a in BOUNDARIES])
def test_a_crash_at_any_write_boundary_ends_as_if_nothing_had_crashed(at: int, after: bool) -> None:
    crashed = run(Fuse(at=at, after=after))

    assert crashed.state() == BASELINE.state()
    assert crashed.announced == BASELINE.announced


def test_the_baseline_counts_each_event_and_order_once() -> None:
    u1 = BASELINE.ports.contacts.load("x#u-1")
    assert u1 is not None
    assert sum(u1.aggs["counters"]["Login"].values()) == 2  # a2 (merged from the visitor) and e1, once
    assert u1.aggs["orders"]["count"] == 2 and u1.aggs["orders"]["revenue"] == {"USD": "55.00"}
