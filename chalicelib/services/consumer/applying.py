"""Applying one contact's work: fold merges, traits, new events and order transitions into one contact
write, with dedupe folded into each event's own conditional put.

If the contact write loses a race or fails, everything written for it is undone (event rows, order
versions), so a retry applies it again and nothing is counted twice. A write that changes nothing
(only duplicates) is skipped. The result says what changed, for the announcement.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.patch import apply_patch, same_state
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, KIND_PROFILE, ContactRecord
from chalicelib.errors import Conflict
from chalicelib.events.models import ORDER_COMPLETED, Enricher, Event, Identity
from chalicelib.identity.traits import profile_patch
from chalicelib.orders.models import same_order, transition_delta
from chalicelib.orders.web import order_from_event
from chalicelib.ports import Ports
from chalicelib.services.consumer.planning import Work

log = logging.getLogger("orbit.consumer")
ATTEMPTS = 4


@dataclass
class Redirect(Exception):
    """The contact is an alias now: its work belongs to ``target``."""

    target: str


@dataclass
class _Attempt:
    """What one try of a contact write stored on the side, to undo if the write fails."""

    undo: list[Callable[[], None]] = field(default_factory=list)
    new_events: list[Event] = field(default_factory=list)

    def rollback(self) -> None:
        for action in reversed(self.undo):
            try:
                action()
            except Exception:
                log.exception("undo failed; a retry may under-count this contact")


class ContactWriter:
    """Writes a contact's batch of work once, exactly-once under retries and races."""

    def __init__(self, ports: Ports, enrich: Enricher | None = None) -> None:
        self.ports = ports
        self.enrich = enrich or (lambda events: events)

    def apply(self, work: Work) -> ContactChanged | None:
        """Write the contact; the change it made, or None when there was nothing new. Raises Redirect."""
        events = self.enrich(work.events)
        for _try in range(ATTEMPTS):
            old = self.ports.contacts.load(work.key)
            if old is not None and old.kind == KIND_ALIAS and old.merged_into:
                raise Redirect(old.merged_into)
            attempt = _Attempt()
            try:
                rec = self._build(work, events, old, attempt)
                if old is not None and same_state(rec, old):
                    return None  # only duplicates: no write, no cost
                self.ports.contacts.save(rec, old)
            except Conflict:
                attempt.rollback()
                continue
            except Exception:
                attempt.rollback()
                raise
            return ContactChanged(before=old, after=rec, events=tuple(attempt.new_events))
        raise Conflict(f"contact {work.key} kept changing under us")

    def _build(self, work: Work, events: list[Event], old: ContactRecord | None, attempt: _Attempt) -> ContactRecord:
        now = self.ports.clock.now()
        kind = KIND_CONTACT if keys.is_known(work.key) else KIND_PROFILE
        rec = copy.deepcopy(old) if old else ContactRecord(key=work.key, kind=kind, created_at=iso(now))
        rec.aggs = rec.aggs or aggregates.empty()
        for source in work.merges:
            self._merge(rec, source)
        for traits in work.traits:
            apply_patch(rec, profile_patch(traits), {})
        orders = list(work.orders)
        window = self.ports.settings.counter_window_days
        for event in events:
            if not self._insert(rec.key, event, attempt):
                continue  # a duplicate: already applied
            aggregates.fold_event(rec.aggs, event, window, now)
            if event.type == ORDER_COMPLETED:
                order = order_from_event(event)
                if order:
                    orders.append(order)
        for order in orders:
            self._order(rec, order, attempt, now)
        aggregates.prune(rec.aggs, window, now)
        rec.updated_at = iso(now)
        return rec

    def _insert(self, key: str, event: Event, attempt: _Attempt) -> bool:
        """Store the event once (False for a duplicate), remembering how to take it back."""
        if not self.ports.events.insert(key, event):
            return False
        attempt.undo.append(lambda: self.ports.events.remove(key, event))
        attempt.new_events.append(event)
        return True

    def _merge(self, rec: ContactRecord, source_key: str) -> None:
        if source_key in rec.merged or source_key == rec.key:
            return
        contacts = self.ports.contacts
        source = contacts.load(source_key)
        if source is None:
            # never seen before: remember the link so this visitor's later events find the contact
            link = ContactRecord(
                key=source_key, kind=KIND_ALIAS, merged_into=rec.key, created_at=iso(self.ports.clock.now())
            )
            contacts.save(link, None)
            rec.merged.append(source_key)
            return
        if source.kind == KIND_CONTACT:
            return
        if source.kind == KIND_ALIAS and source.merged_into != rec.key:
            return  # merged into someone else already (a shared device)
        if source.kind == KIND_PROFILE:
            self.ports.events.move_all(source_key, rec.key)
            tombstone = copy.deepcopy(source)
            tombstone.kind, tombstone.merged_into = KIND_ALIAS, rec.key
            contacts.save(tombstone, source)
        rec.aggs = aggregates.merge(rec.aggs, source.aggs or aggregates.empty())
        for attr, value in source.profile.items():
            rec.profile.setdefault(attr, value)
        rec.merged.append(source_key)

    def _order(self, rec: ContactRecord, order: dict[str, Any], attempt: _Attempt, now: datetime) -> None:
        orders = self.ports.orders
        old = orders.load(order["externalOrderId"])
        new = {**order, "contact": old["contact"] if old else rec.key, "updatedAt": iso(now)}
        if same_order(old, new):
            return
        orders.save(new, old)
        attempt.undo.append(lambda: orders.restore(old, new))
        for delta in transition_delta(old, new):
            aggregates.apply_order(rec.aggs, delta)
        previous = old.get("status") if old else None
        if previous != new["status"]:
            event = _status_event(rec, new, previous, now)
            if self._insert(rec.key, event, attempt):
                aggregates.fold_event(rec.aggs, event, self.ports.settings.counter_window_days, now)
        cart = rec.aggs.get("cart")
        if new["status"] == "DELIVERED" and cart and new.get("cartId") and cart.get("cartId") == new["cartId"]:
            rec.aggs["cart"] = {**cart, "items": [], "updatedAt": iso(now)}


def _status_event(rec: ContactRecord, order: dict[str, Any], previous: str | None, now: datetime) -> Event:
    """``order<STATUS>``: the event every order status change becomes."""
    return Event(
        eventId=f"order:{order['externalOrderId']}:v{order['ver']}",
        type=f"order{order['status']}",
        identity=Identity(externalId=keys.external_id(rec.key) or None),
        timestamp=datetime.fromisoformat(order["date"]) if previous is None else now,
        receivedAt=now,
        properties={
            "externalOrderId": order["externalOrderId"],
            "status": order["status"],
            "previousStatus": previous,
            "totalCost": order["totalCost"],
            "currency": order["currency"],
            "items": order.get("items", []),
        },
        source="order",
    )
