"""The events consumer: applies a batch of queue messages idempotently, one contact at a time.

Per contact in the batch: fold merges, traits, new events and order transitions into one
contact write (coalesced), with dedupe folded into each event's own conditional put. If the
contact write loses a race or fails, everything written for it is undone, so a retry applies it
again and nothing is counted twice. Failed records are reported for SQS partial-batch retry.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError, model_validator

from chalicelib.clock import iso
from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.imports import apply_import_chunk
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, KIND_PROFILE, ContactRecord
from chalicelib.contacts.service import apply_patch
from chalicelib.deps import Stores
from chalicelib.errors import Conflict
from chalicelib.events.models import ORDER_COMPLETED, Event, Identity
from chalicelib.identity.traits import profile_patch
from chalicelib.orders.models import OrderIn, same_order, transition_delta
from chalicelib.pipeline.messages import (
    AliasMsg,
    EventMsg,
    IdentifyMsg,
    ImportMsg,
    MergeMsg,
    OrderMsg,
    parse_message,
)
from chalicelib.pipeline.resolver import Resolver

log = logging.getLogger("orbit.consumer")
_ATTEMPTS = 4
Enricher = Callable[[list[Event]], list[Event]]


@dataclass
class Work:
    """Everything one batch does to one contact."""

    key: str
    record_ids: list[str] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    traits: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def absorb(self, other: Work) -> None:
        self.record_ids += other.record_ids
        self.merges += other.merges
        self.traits += other.traits
        self.events += other.events
        self.orders += other.orders


@dataclass
class Redirect(Exception):
    target: str


class Consumer:
    def __init__(self, stores: Stores, enrich: Enricher | None = None) -> None:
        self.stores = stores
        self.enrich = enrich or (lambda events: events)

    def process(self, records: list[tuple[str, str]]) -> list[str]:
        """Apply ``(message id, body)`` records; return the ids that failed."""
        failed: list[str] = []
        resolver = Resolver(self.stores)
        work: dict[str, Work] = {}
        for record_id, body in records:
            try:
                message = parse_message(json.loads(body))
                if isinstance(message, ImportMsg):
                    apply_import_chunk(self.stores, message)
                    continue
                self._plan(message, record_id, resolver, work)
            except (ValueError, ValidationError) as exc:
                log.error("poison record %s: %s", record_id, exc)
                failed.append(record_id)
            except Exception:
                log.exception("record %s failed", record_id)
                failed.append(record_id)
        # provisional profiles first, so merges into known contacts see their events
        ordered = sorted(work.values(), key=lambda w: keys.is_known(w.key))
        while ordered:
            item = ordered.pop(0)
            try:
                self._apply(item)
            except Redirect as redirect:
                target = next((w for w in ordered if w.key == redirect.target), None)
                if target is None:
                    ordered.append(Work(key=redirect.target))
                    target = ordered[-1]
                target.absorb(item)
            except Exception:
                log.exception("contact %s failed; %d records will retry", item.key, len(item.record_ids))
                failed += item.record_ids
        return failed

    def _plan(self, message: Any, record_id: str, resolver: Resolver, work: dict[str, Work]) -> None:
        def at(key: str) -> Work:
            entry = work.setdefault(key, Work(key=key))
            if record_id not in entry.record_ids:
                entry.record_ids.append(record_id)
            return entry

        if isinstance(message, EventMsg):
            event = message.event
            entry = at(resolver.key_for(event.identity))
            entry.events.append(event)
            self._merge_anonymous(entry, event.identity)
        elif isinstance(message, OrderMsg):
            order = OrderIn.model_validate(message.order).model_dump(mode="json", exclude_none=True)
            existing = self.stores.orders.load(order["externalOrderId"])
            key = existing["contact"] if existing else resolver.key_for(OrderIn.model_validate(order).identity())
            at(key).orders.append(order)
        elif isinstance(message, IdentifyMsg):
            cmd = message.command
            ident = Identity(externalId=cmd.externalId, anonymousId=cmd.anonymousId)
            entry = at(resolver.key_for(ident))
            entry.traits.append(cmd.traits)
            self._merge_anonymous(entry, ident)
        elif isinstance(message, AliasMsg):
            entry = at(keys.known(message.command.externalId))
            entry.merges.append(keys.anonymous(message.command.previousId))
        elif isinstance(message, MergeMsg):
            at(message.into).merges.extend(message.sources)

    @staticmethod
    def _merge_anonymous(entry: Work, identity: Identity) -> None:
        if identity.anonymousId and keys.is_known(entry.key):
            source = keys.anonymous(identity.anonymousId)
            if source not in entry.merges:
                entry.merges.append(source)

    def _apply(self, work: Work) -> None:
        events = self.enrich(work.events)
        for _attempt in range(_ATTEMPTS):
            old = self.stores.contacts.load(work.key)
            if old is not None and old.kind == KIND_ALIAS and old.merged_into:
                raise Redirect(old.merged_into)
            undo: list[Callable[[], None]] = []
            try:
                rec = self._build(work, events, old, undo)
                if old is not None and _same_state(rec, old):
                    return  # only duplicates: no write, no cost
                self.stores.contacts.save(rec, old)
                return
            except Conflict:
                self._undo(undo)
                continue
            except Exception:
                self._undo(undo)
                raise
        raise Conflict(f"contact {work.key} kept changing under us")

    def _build(
        self, work: Work, events: list[Event], old: ContactRecord | None, undo: list[Callable[[], None]]
    ) -> ContactRecord:
        now = self.stores.clock.now()
        kind = KIND_CONTACT if keys.is_known(work.key) else KIND_PROFILE
        rec = copy.deepcopy(old) if old else ContactRecord(key=work.key, kind=kind, created_at=iso(now))
        rec.aggs = rec.aggs or aggregates.empty()
        for source in work.merges:
            self._merge(rec, source)
        for traits in work.traits:
            apply_patch(rec, profile_patch(traits), {})
        orders = list(work.orders)
        window = self.stores.settings.counter_window_days
        for event in events:
            if not self.stores.events.insert(rec.key, event):
                continue  # a duplicate: already applied
            undo.append(self._remover(rec.key, event))
            aggregates.fold_event(rec.aggs, event, window, now)
            if event.type == ORDER_COMPLETED:
                order = _order_from_event(event)
                if order:
                    orders.append(order)
        for order in orders:
            self._order(rec, order, undo, now)
        aggregates.prune(rec.aggs, window, now)
        rec.updated_at = iso(now)
        return rec

    def _merge(self, rec: ContactRecord, source_key: str) -> None:
        if source_key in rec.merged or source_key == rec.key:
            return
        source = self.stores.contacts.load(source_key)
        if source is None:
            # never seen before: remember the link so this visitor's later events find the contact
            link = ContactRecord(
                key=source_key, kind=KIND_ALIAS, merged_into=rec.key, created_at=iso(self.stores.clock.now())
            )
            self.stores.contacts.save(link, None)
            rec.merged.append(source_key)
            return
        if source.kind == KIND_CONTACT:
            return
        if source.kind == KIND_ALIAS and source.merged_into != rec.key:
            return  # merged into someone else already (a shared device)
        if source.kind == KIND_PROFILE:
            self.stores.events.move_all(source_key, rec.key)
            tombstone = copy.deepcopy(source)
            tombstone.kind, tombstone.merged_into = KIND_ALIAS, rec.key
            self.stores.contacts.save(tombstone, source)
        rec.aggs = aggregates.merge(rec.aggs, source.aggs or aggregates.empty())
        for attr, value in source.profile.items():
            rec.profile.setdefault(attr, value)
        rec.merged.append(source_key)

    def _order(self, rec: ContactRecord, order: dict[str, Any], undo: list[Callable[[], None]], now: datetime) -> None:
        old = self.stores.orders.load(order["externalOrderId"])
        new = {**order, "contact": old["contact"] if old else rec.key, "updatedAt": iso(now)}
        if same_order(old, new):
            return
        self.stores.orders.save(new, old)
        undo.append(lambda: self.stores.orders.restore(old, new))
        for delta in transition_delta(old, new):
            aggregates.apply_order(rec.aggs, delta)
        previous = old.get("status") if old else None
        if previous != new["status"]:
            event = Event(
                eventId=f"order:{new['externalOrderId']}:v{new['ver']}",
                type=f"order{new['status']}",
                identity=Identity(externalId=keys.external_id(rec.key) or None),
                timestamp=datetime.fromisoformat(new["date"]) if previous is None else now,
                receivedAt=now,
                properties={
                    "externalOrderId": new["externalOrderId"],
                    "status": new["status"],
                    "previousStatus": previous,
                    "totalCost": new["totalCost"],
                    "currency": new["currency"],
                    "items": new.get("items", []),
                },
                source="order",
            )
            if self.stores.events.insert(rec.key, event):
                undo.append(lambda: self.stores.events.remove(rec.key, event))
                aggregates.fold_event(rec.aggs, event, self.stores.settings.counter_window_days, now)
        cart = rec.aggs.get("cart")
        if new["status"] == "DELIVERED" and cart and new.get("cartId") and cart.get("cartId") == new["cartId"]:
            rec.aggs["cart"] = {**cart, "items": [], "updatedAt": iso(now)}

    def _remover(self, key: str, event: Event) -> Callable[[], None]:
        return lambda: self.stores.events.remove(key, event)

    @staticmethod
    def _undo(actions: list[Callable[[], None]]) -> None:
        for action in reversed(actions):
            try:
                action()
            except Exception:
                log.exception("undo failed; a retry may under-count this contact")


def _same_state(rec: ContactRecord, old: ContactRecord) -> bool:
    return (rec.kind, rec.profile, rec.fields, rec.channels, rec.aggs, rec.merged) == (
        old.kind,
        old.profile,
        old.fields,
        old.channels,
        old.aggs,
        old.merged,
    )


class _WebOrder(OrderIn):
    """A purchase tracked on the site: an anonymous visitor's order is kept on their profile."""

    @model_validator(mode="after")
    def _identified(self) -> _WebOrder:
        return self


def _order_from_event(event: Event) -> dict[str, Any] | None:
    """A web purchase (``Order Completed``) is a DELIVERED order keyed by its order id."""
    props = event.properties
    order_id = props.get("order_id") or props.get("orderId")
    if not order_id:
        return None
    raw = props.get("products")
    products: list[Any] = raw if isinstance(raw, list) else []
    items = [
        {
            "externalItemId": str(p.get("product_id") or p.get("sku")),
            "quantity": int(p.get("quantity") or 1),
            **({"cost": p["price"]} if p.get("price") is not None else {}),
            **({"name": p["name"]} if p.get("name") else {}),
        }
        for p in products
        if isinstance(p, dict) and (p.get("product_id") or p.get("sku"))
    ]
    total = props.get("total") or props.get("revenue")
    if total is None:
        total = sum(float(i.get("cost", 0)) * i["quantity"] for i in items)
    try:
        order = _WebOrder(
            externalOrderId=str(order_id),
            externalId=event.identity.externalId,
            email=event.identity.email,
            phone=event.identity.phone,
            status="DELIVERED",
            date=event.timestamp,
            totalCost=total,
            currency=str(props.get("currency") or "USD").upper(),
            items=items,
            source="web",
            cartId=props.get("cart_id"),
        )
    except ValidationError as exc:
        log.warning("web order %s is not a valid order: %s", order_id, exc)
        return None
    return order.model_dump(mode="json", exclude_none=True)
