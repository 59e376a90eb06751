"""Product interactions: what the recommendation models learn from, read off the canonical shop events.

``Product Viewed`` (and a wishlist add) is a view, every line of ``Cart Updated`` (and ``Product Added``) a cart
interaction, every line of ``Order Completed`` a purchase with its quantity, and so is every item of an order
delivered through ``/v1/orders`` (its ``orderDELIVERED`` event). A web ``Order Completed`` with an order id becomes a
delivered order too, so ``from_events`` counts an order's purchases once: an ``orderDELIVERED`` whose order a
``Order Completed`` among the same events named is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib.catalog.enrichment import item_id
from chalicelib.contacts import keys
from chalicelib.events.models import CART_UPDATED, ORDER_COMPLETED, PRODUCT_VIEWED, WISHLIST_ADDED, Event, Identity

Kind = Literal["view", "cart", "purchase"]

_SINGLE: dict[str, Kind] = {PRODUCT_VIEWED: "view", WISHLIST_ADDED: "view", "Product Added": "cart"}
_LINES: dict[str, Kind] = {CART_UPDATED: "cart", ORDER_COMPLETED: "purchase"}


@dataclass(frozen=True)
class Interaction:
    """One contact touching one product: viewed it, had it in a cart, or bought ``quantity`` of it."""

    contact_key: str
    product_id: str
    kind: Kind
    at: datetime  # aware UTC
    quantity: int = 1


def identity_key(identity: Identity) -> str:
    """The contact key an identity names without looking anything up: the external id's, else the anonymous
    id's, else the email's, else the phone's (the consumer's resolver may join them later; a build that has the
    resolved key passes it to ``from_event``)."""
    if identity.externalId:
        return keys.known(identity.externalId)
    if identity.anonymousId:
        return keys.anonymous(identity.anonymousId)
    if identity.email:
        return keys.email(identity.email)
    assert identity.phone, "the edge rejects events without an identifier"
    return keys.phone(identity.phone)


def _quantity(line: dict[str, Any]) -> int:
    raw = line.get("quantity", 1)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return 1
    return int(raw)


ORDER_DELIVERED = "orderDELIVERED"  # the event an order reaching DELIVERED becomes (services/consumer/applying.py)


def _order_items(event: Event, key: str) -> list[Interaction]:
    items = event.properties.get("items")
    if not isinstance(items, list):
        return []
    out: list[Interaction] = []
    for item in items:
        found = item.get("externalItemId") if isinstance(item, dict) else None
        if isinstance(found, str) and found and _quantity(item) >= 1:
            out.append(Interaction(key, found, "purchase", event.timestamp, _quantity(item)))
    return out


def _web_order_id(event: Event) -> str | None:
    found = event.properties.get("order_id") or event.properties.get("orderId")
    return str(found) if event.type == ORDER_COMPLETED and found else None


def from_events(events: Iterable[Event], *, contact_key: str | None = None) -> list[Interaction]:
    """The interactions of several events of one contact, in their order, each order's purchases once (see the
    module docstring)."""
    listed = list(events)
    web_orders = {found for e in listed if (found := _web_order_id(e))}
    return [
        interaction
        for event in listed
        if not (event.type == ORDER_DELIVERED and str(event.properties.get("externalOrderId")) in web_orders)
        for interaction in from_event(event, contact_key=contact_key)
    ]


def from_event(event: Event, *, contact_key: str | None = None) -> list[Interaction]:
    """The product interactions in one event (none for events about no product); ``contact_key`` defaults to
    ``identity_key(event.identity)``. Lines with a quantity below 1 (removed from the cart) are left out."""
    key = contact_key or identity_key(event.identity)
    props = event.properties
    if event.type == ORDER_DELIVERED:
        return _order_items(event, key)
    if event.type in _SINGLE:
        found = item_id(props)
        return [Interaction(key, found, _SINGLE[event.type], event.timestamp)] if found else []
    if event.type not in _LINES or not isinstance(props.get("products"), list):
        return []
    kind = _LINES[event.type]
    out: list[Interaction] = []
    for line in props["products"]:
        found = item_id(line) if isinstance(line, dict) else None
        if found and _quantity(line) >= 1:
            out.append(Interaction(key, found, kind, event.timestamp, _quantity(line)))
    return out
