"""Applying one contact's work: fold merges, traits, new events and order transitions into one contact
write, exactly once across retries, races and crashes.

The side writes come first (event rows, order versions, merge tombstones), the contact write last. The
contact write carries the record of what it folded (``contacts/folded.py``), so nothing is ever undone:
whatever a crashed or lost attempt left behind is recognised and rolled forward by the next attempt,

* an event already in the record is skipped (a duplicate);
* an event whose row exists but is not in the record is folded now (a leftover), unless the row is older
  than the record's window (an old resend);
* an order version whose transition is not in the record is folded before anything newer (``prev`` on the
  stored order says what it changed from);
* a merge tombstone keeps the profile's aggregates until the contact lists the merge.

A write that changes nothing (only duplicates) is skipped. The result says what changed, for the
announcement, and which earlier writes a redelivered record may not have announced (``replays``).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import aggregates, identifiers, keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.folded import within
from chalicelib.contacts.patch import apply_patch, same_state
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, KIND_PROFILE, ContactRecord
from chalicelib.errors import Conflict, Retryable
from chalicelib.events.models import ORDER_COMPLETED, Event, Identity
from chalicelib.identity.traits import profile_patch
from chalicelib.orders.models import (
    counted,
    order_time,
    processed_at,
    same_order,
    shown_item,
    supersedes,
    transition_delta,
)
from chalicelib.orders.money import money
from chalicelib.orders.web import order_from_event
from chalicelib.ports import Ports
from chalicelib.segments import counters as segment_counters
from chalicelib.segments.counter_specs import CounterSpec
from chalicelib.services.consumer.merging import merge_contact
from chalicelib.services.consumer.planning import Work
from chalicelib.services.orders import held_orders

log = logging.getLogger("orbit.consumer")
ATTEMPTS = 4
COUNTED_FIELDS = ("status", "totalCost", "currency", "date")  # what an order's transition delta reads


@dataclass
class Redirect(Exception):
    """The contact is an alias now: its work belongs to ``target``."""

    target: str


@dataclass
class Outcome:
    """What applying one contact's work did."""

    change: ContactChanged | None = None  # the write this attempt made
    replays: list[ContactChanged] = field(default_factory=list)  # earlier writes a retry may not have announced


def transition_id(order: dict[str, Any]) -> str:
    """The id of an order version's transition, and of the ``order<STATUS>`` event it may carry."""
    return f"order:{order['externalOrderId']}:v{order['ver']}"


NOT_LOADED = ContactRecord(key="")  # ``apply``'s default: read the contact first


class ContactWriter:
    """Writes a contact's batch of work once, exactly once under retries, races and crashes."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self.window = timedelta(hours=ports.settings.dedupe_window_hours)
        self.counter_specs: list[CounterSpec] = []  # the counters active segments registered (set per batch)

    def apply(self, work: Work, retried: bool = False, loaded: ContactRecord | None = NOT_LOADED) -> Outcome:
        """Write the contact; raises Redirect when it became an alias, Conflict when it keeps changing.

        ``loaded`` is the contact as the batch read it (None: absent); it may be stale, which costs a retry
        with a fresh read, never a wrong write (the write is conditional on the version)."""
        events = work.events
        for attempt in range(ATTEMPTS):
            old = loaded if attempt == 0 and loaded is not NOT_LOADED else self.ports.contacts.load(work.key)
            if old is not None and old.kind == KIND_ALIAS and old.merged_into:
                raise Redirect(old.merged_into)
            replays = self._replays(old, events, work.orders) if retried else []
            new_events: list[Event] = []
            try:
                rec = self._build(work, events, old, new_events)
                if old is not None and same_state(rec, old):
                    return Outcome(None, replays)  # only duplicates: no write, no cost
                self.ports.contacts.save(rec, old)
            except Conflict:
                continue  # another writer got there first: build again on top of what it wrote
            return Outcome(ContactChanged(before=old, after=rec, events=tuple(new_events)), replays)
        raise Conflict(f"contact {work.key} kept changing under us")

    def _replays(
        self, old: ContactRecord | None, events: list[Event], orders: list[dict[str, Any]]
    ) -> list[ContactChanged]:
        """The earlier writes that folded these (redelivered) events and order transitions, by the version that
        folded them: a consumer that crashed after such a write and before announcing it told nobody."""
        if old is None:
            return []
        found: dict[int, list[Event]] = {}
        for event in events:
            version = old.folded.version_of(event.eventId)
            if version is not None:
                found.setdefault(version, []).append(event)
        web_orders = [o for e in events if e.type == ORDER_COMPLETED and (o := order_from_event(e))]
        for order in [*orders, *web_orders]:
            stored = self.ports.orders.load(order["externalOrderId"])
            if stored is None or "prev" not in stored or not same_order(stored, order):
                continue  # not this message's version
            version = old.folded.version_of(transition_id(stored))
            if version is None:
                continue
            previous = (stored.get("prev") or {}).get("status")
            if previous != stored["status"]:
                found.setdefault(version, []).append(_status_event(old, stored, previous))
        return [
            ContactChanged(before=None, after=old, events=tuple(found[v]), version=v, replayed=True)
            for v in sorted(found)
        ]

    def _build(self, work: Work, events: list[Event], old: ContactRecord | None, new: list[Event]) -> ContactRecord:
        now = self.ports.clock.now()
        kind = KIND_CONTACT if keys.is_known(work.key) else KIND_PROFILE
        rec = copy.deepcopy(old) if old else ContactRecord(key=work.key, kind=kind, created_at=iso(now))
        rec.aggs = rec.aggs or aggregates.empty()
        version = (old.version if old else 0) + 1
        self._merge(rec, work, old)
        for traits in work.traits:
            apply_patch(rec, profile_patch(traits), {})
        orders = list(work.orders)
        counters = self.ports.settings.counter_window_days
        for event in events:
            if not self._is_new(rec, event, now):
                continue
            aggregates.fold_event(rec.aggs, event, counters, now)
            rec.folded.add(event.eventId, now, version)
            new.append(event)
            if event.type == ORDER_COMPLETED:
                order = order_from_event(event)
                if order:
                    orders.append(order)
        for order in orders:
            self._order(rec, order, now, version, new)
        self._segment_counters(rec, new, now)
        aggregates.prune(rec.aggs, counters, now)
        rec.folded.prune(now, self.window)
        rec.updated_at = iso(now)
        return rec

    def _segment_counters(self, rec: ContactRecord, new: list[Event], now: datetime) -> None:
        """Keep the counters segments registered: fold the new events into those the contact holds; a counter it
        lacks is computed from its event history (the new events' rows are stored already) when an event of its
        type arrives, so a quiet contact costs no read. Counters no segment registers any more are dropped."""
        if not keys.is_known(rec.key) or not (self.counter_specs or rec.aggs.get(segment_counters.KEY)):
            return
        held = rec.aggs.setdefault(segment_counters.KEY, {})
        missing = {spec.id for spec in segment_counters.missing(rec.aggs, self.counter_specs)}
        present = [spec for spec in self.counter_specs if spec.id not in missing]
        for event in new:
            segment_counters.fold(rec.aggs, present, event, now)
        arrived = {event.type for event in new}
        for spec in self.counter_specs:
            if spec.id in missing and spec.event in arrived:
                history = self.ports.events.since(rec.key, segment_counters.history_start(spec, now))
                held[spec.id] = segment_counters.backfill(spec, history, now)
        segment_counters.prune(rec.aggs, self.counter_specs, now)
        if not rec.aggs.get(segment_counters.KEY):
            rec.aggs.pop(segment_counters.KEY, None)

    def _is_new(self, rec: ContactRecord, event: Event, now: datetime) -> bool:
        """Store the event's row if it is missing; True when the aggregates do not hold it yet."""
        if event.eventId in rec.folded:
            return False  # folded already: a duplicate
        stored = self.ports.events.insert(rec.key, event)
        # a row that is not in the record: a crash's leftover if young, an old resend if not
        return stored is None or within(stored.receivedAt, now, self.window)

    def _merge(self, rec: ContactRecord, work: Work, old: ContactRecord | None) -> None:
        """Identity before anything is folded. An identity an erasure suppressed is never created again (the
        planner dropped its messages; this catches an erasure that happened while the batch was in flight: the
        records retry, and the retry drops them). Then each source merges in: a provisional profile (its events
        move here, and it becomes a tombstone that keeps its aggregates until this contact lists the merge), an
        anonymous id seen for the first time (a link, so its later events find this contact) or, only when asked
        through ``POST /v1/contacts/{id}/merge`` (``work.requests``), another known contact (``merging``)."""
        if old is None and self.ports.suppressions.suppressed([identifiers.digest(rec.key)]):
            raise Retryable("an erasure suppressed this identity while its batch was in flight; the retry drops it")
        contacts = self.ports.contacts
        for source_key in work.merges:
            if source_key in rec.merged or source_key == rec.key:
                continue
            source = contacts.load(source_key)
            request = work.requests.get(source_key)
            if request is not None:
                merge_contact(self.ports, rec, old, source, request)
                continue
            if source is None:
                # never seen before: remember the link so this visitor's later events find the contact
                link = ContactRecord(
                    key=source_key, kind=KIND_ALIAS, merged_into=rec.key, created_at=iso(self.ports.clock.now())
                )
                contacts.save(link, None)
                rec.merged.append(source_key)
                continue
            if source.kind == KIND_CONTACT:
                continue  # two known contacts merge only when asked, through the merge endpoint
            if source.kind == KIND_ALIAS and source.merged_into != rec.key:
                continue  # merged into someone else already (a shared device)
            if source.kind == KIND_PROFILE:
                self.ports.events.move_all(source_key, rec.key)
                tombstone = copy.deepcopy(source)  # keeps the aggregates until the contact lists the merge
                tombstone.kind, tombstone.merged_into = KIND_ALIAS, rec.key
                contacts.save(tombstone, source)
            rec.aggs = aggregates.merge(rec.aggs, source.aggs or aggregates.empty())
            rec.folded.absorb(source.folded)
            for attr, value in source.profile.items():
                rec.profile.setdefault(attr, value)
            rec.merged.append(source_key)

    def _order(self, rec: ContactRecord, order: dict[str, Any], now: datetime, version: int, new: list[Event]) -> None:
        orders = self.ports.orders
        old = orders.load(order["externalOrderId"])
        if old is not None and not self._transition_folded(rec, old, now):
            self._fold_transition(rec, old, now, version, new)  # a crashed attempt's version: roll it forward
        if same_order(old, order):
            return
        if not supersedes(order, old):
            # older than the stored state (by the order's own time): a late message changes nothing
            log.info("order %s: a message older than its stored state is ignored", order["externalOrderId"])
            return
        written = {
            **order,
            "contact": old["contact"] if old else rec.key,
            "processedAt": iso(now),
            "prev": {k: old[k] for k in COUNTED_FIELDS if k in old} if old else {},  # {}: a first version
        }
        orders.save(written, old)
        self._fold_transition(rec, written, now, version, new)

    def _transition_folded(self, rec: ContactRecord, order: dict[str, Any], now: datetime) -> bool:
        if "prev" not in order:
            return True  # stored before transitions were recorded
        if transition_id(order) in rec.folded:
            return True
        return not within(processed_at(order), now, self.window)

    def _fold_transition(
        self, rec: ContactRecord, order: dict[str, Any], now: datetime, version: int, new: list[Event]
    ) -> None:
        prev = order.get("prev") or None
        recount = aggregates.order_counts(rec.aggs) is None  # stored before per-currency counts
        bounds_lost = False
        if not recount:
            for delta in transition_delta(prev, order):
                bounds_lost |= aggregates.apply_order(rec.aggs, delta)
        if recount or bounds_lost:  # only the contact's orders know the counts or the new first/last order
            held = held_orders(self.ports, rec, order, lambda o: self._transition_folded(rec, o, now))
            counting = [d for d in map(counted, held) if d is not None]
            if recount:
                aggregates.recount_orders(rec.aggs, counting)
            aggregates.set_order_bounds(rec.aggs, [d.at for d in counting if d.at is not None])
        previous = prev.get("status") if prev else None
        if previous != order["status"]:
            event = _status_event(rec, order, previous)
            self.ports.events.insert(rec.key, event)  # the transition, not the row, decides the fold
            aggregates.fold_event(rec.aggs, event, self.ports.settings.counter_window_days, now)
            new.append(event)
        rec.folded.add(transition_id(order), now, version)
        cart = rec.aggs.get("cart")
        if order["status"] == "DELIVERED" and cart and order.get("cartId") and cart.get("cartId") == order["cartId"]:
            rec.aggs["cart"] = {**cart, "items": [], "updatedAt": iso(now)}


def _status_event(rec: ContactRecord, order: dict[str, Any], previous: str | None) -> Event:
    """``order<STATUS>``: the event every order status change becomes, at the order's own time (the
    ``updatedAt`` its client sent, else its ``date``), not the time it was processed: marking a June order
    delivered today says nothing about today. Both times come from the stored version, so the event's id and
    timestamp are the same on every roll-forward and a leftover row is found again."""
    currency = order["currency"]
    return Event(
        eventId=transition_id(order),
        type=f"order{order['status']}",
        identity=Identity(externalId=keys.external_id(rec.key) or None),
        timestamp=order_time(order),
        receivedAt=processed_at(order),
        properties={
            "externalOrderId": order["externalOrderId"],
            "status": order["status"],
            "previousStatus": previous,
            "totalCost": money(order["totalCost"], currency),
            "currency": currency,
            "items": [shown_item(i, currency) for i in order.get("items", [])],
        },
        source="order",
    )
