"""A small world for segment tests on in-memory ports: contacts, events through the real consumer, the
background stream (computations, list chunks) drained like the local pollers drain it, and a clock to move."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.contacts import keys
from chalicelib.contacts.models import ContactIn
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.segments.models import MemberState
from chalicelib.segments.rules import SegmentIn
from chalicelib.services import background, contacts
from chalicelib.services.consumer import Consumer
from chalicelib.services.segments import definitions, realtime
from chalicelib.services.segments.registry import REGISTRY
from tests.fakes import NOW, fake_ports

_ids = itertools.count()


class World:
    def __init__(self, now: datetime = NOW) -> None:
        self.clock = FixedClock(now)
        self.ports = fake_ports(clock=self.clock)
        self.ports.changes.subscribe(realtime.listener(self.ports), critical=True)
        REGISTRY.invalidate()

    # contacts and events
    def contact(self, external_id: str, **profile: Any) -> None:
        contacts.upsert(self.ports, external_id, ContactIn.model_validate(profile))
        self.drain()

    def event(self, external_id: str, type_: str, at: datetime | None = None, **props: Any) -> Event:
        return Event(
            eventId=f"e-{next(_ids)}",
            type=type_,
            identity=Identity(externalId=external_id),
            timestamp=at or self.clock.now(),
            receivedAt=self.clock.now(),
            properties=props,
        )

    def send(self, *events: Event, redelivered: bool = False) -> list[str]:
        """Consume the events as one batch (``redelivered``: as SQS delivers them again after a failure)."""
        batch = [(f"m-{e.eventId}", EventMsg(event=e).body()) for e in events]
        retried = {record_id for record_id, _ in batch} if redelivered else set()
        failed = Consumer(self.ports).process(batch, retried)
        self.drain()
        return failed

    def drain(self) -> None:
        """Run everything queued (segment events back through the consumer, background work) until quiet."""
        publisher = self.ports.publisher
        for _ in range(50):
            events = publisher.drain_records("events")  # type: ignore[attr-defined]
            work = publisher.drain_records("imports")  # type: ignore[attr-defined]
            if not events and not work:
                return
            if events:
                assert Consumer(self.ports).process(events) == []
            if work:
                assert background.consume(self.ports, work) == []
        raise AssertionError("the queues never went quiet")

    # segments
    def segment(self, rule: dict[str, Any], segment_id: str = "s", exclude: dict[str, Any] | None = None) -> str:
        body = SegmentIn(id=segment_id, name=segment_id, rule=rule, exclude=exclude)
        definitions.create_segment(self.ports, body)
        self.drain()
        return segment_id

    def members(self, segment_id: str = "s") -> set[str]:
        definition = self.ports.segments.segment(segment_id)
        assert definition is not None
        found, cursor = [], None
        while True:
            page, cursor = self.ports.memberships.members(definition.serving, 1000, cursor)
            found += page
            if cursor is None:
                break
        return {keys.external_id(k) or k for k, _ in found}

    def state(self, external_id: str, segment_id: str = "s") -> MemberState | None:
        definition = self.ports.segments.segment(segment_id)
        assert definition is not None
        return self.ports.memberships.states(definition.serving, [keys.known(external_id)]).get(keys.known(external_id))

    def record(self, external_id: str) -> ContactRecord:
        found = self.ports.contacts.load(keys.known(external_id))
        assert found is not None
        return found

    def activity(self, external_id: str) -> list[Event]:
        page, _ = self.ports.events.activity(keys.known(external_id), 500)
        return page

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)

    def sweep(self) -> dict[str, int]:
        from chalicelib.services.segments.sweep import sweep

        result = sweep(self.ports).as_dict()
        self.drain()
        return result


def days(n: float) -> timedelta:
    return timedelta(days=n)
