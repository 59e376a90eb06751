"""Order use cases beyond ingestion (which is ``services.ingest``): read an order as stored, and the contact's
orders as its aggregates hold them (the consumer recounts from them when a bound or a count is lost)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import NotFound
from chalicelib.ports import Order, Ports

MAX_MERGE_DEPTH = 5  # profiles merged into profiles merged into the contact, and so on


def get_order(ports: Ports, order_id: str) -> dict[str, Any]:
    order = ports.orders.load(order_id)
    if order is None:
        raise NotFound(f"No order {order_id!r}")
    return order


def contact_keys(ports: Ports, rec: ContactRecord) -> list[str]:
    """The contact's key and those of every profile merged into it (an order keeps the key it was first
    stored under, an anonymous visitor's say), following merges of merges."""
    found = [rec.key]
    pending = [k for k in rec.merged if k not in found]
    for _depth in range(MAX_MERGE_DEPTH):
        if not pending:
            break
        found += pending
        merged = ports.contacts.load_many(pending)
        pending = list(dict.fromkeys(k for r in merged.values() for k in r.merged if k not in found))
    return found


def held_orders(ports: Ports, rec: ContactRecord, current: Order, folded: Callable[[Order], bool]) -> list[Order]:
    """The contact's orders as its aggregates hold them once ``current`` (a version being folded) is folded:
    ``current`` itself, each other order's stored version when ``folded`` says its transition is folded, else
    the version it changed from (``prev``; a first version not folded yet holds nothing).

    One ``for_contact`` query per key (``contact_keys``): the consumer asks only when a transition removes or
    moves the first or last order time, or when a contact stored before per-currency counts needs them."""
    found: dict[str, Order] = {}
    for key in contact_keys(ports, rec):
        for order in ports.orders.for_contact(key):
            found[order["externalOrderId"]] = order
    found[current["externalOrderId"]] = current  # the index may not list a version written a moment ago
    held: list[Order] = []
    for order in found.values():
        if order is current or folded(order):
            held.append(order)
        elif order.get("prev"):
            held.append({**order, **order["prev"]})
    return held
