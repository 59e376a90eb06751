"""Price-drop and back-in-stock alerts: keeping the interest index, and fanning a product's alert out to the
contacts in it as personal events that the ``priceDrop`` and ``backInStock`` triggers' workflows start on.

* ``listener``: every contact change's view, cart and wishlist interactions (``recommendations.interactions``)
  are noted in the index, one batched write per change; a purchase drops the pair (a bought product is not
  advertised to its buyer).
* ``publish_alerts``: the catalog's one call after a save; one ``productAlert`` message per product whose price
  dropped or that came back in stock.
* ``run_alert``: one page of the product's interested contacts, a ``Price Dropped`` and/or ``Back In Stock`` event
  each (ids made of the product, its version and the contact, so redelivery publishes only duplicates), then the
  next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.catalog.alerts import BACK_IN_STOCK, PRICE_DROPPED, ProductAlert, alert_for
from chalicelib.catalog.history import ProductChange
from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.changes import ContactChanged, Listener
from chalicelib.events.models import Event, Identity, content_id
from chalicelib.messages import EventMsg, ProductAlertMsg, QueueMessage, pack
from chalicelib.ports import Ports
from chalicelib.recommendations.interactions import from_events

INTEREST_DAYS = 30  # a view, cart or wishlist add older than this no longer counts
PAGE = 100  # contacts per productAlert message


# --- the index -----------------------------------------------------------------------------------------------


def note_change(ports: Ports, change: ContactChanged) -> None:
    """Note the change's view/cart/wishlist interactions, forget its purchases (one batched write each)."""
    if change.after is None or not change.events:
        return
    noted: list[tuple[str, str, datetime]] = []
    bought: list[tuple[str, str]] = []
    for found in from_events(change.events, contact_key=change.key):
        if found.kind == "purchase":
            bought.append((found.product_id, found.contact_key))
        else:
            noted.append((found.product_id, found.contact_key, found.at))
    if noted:
        ports.interest.note(noted)
    if bought:
        ports.interest.forget(bought)


def listener(ports: Ports) -> Listener:
    def run(change: ContactChanged) -> None:
        note_change(ports, change)

    return run


# --- alerts --------------------------------------------------------------------------------------------------


def alert_message(alert: ProductAlert) -> ProductAlertMsg:
    return ProductAlertMsg(
        productId=alert.product_id,
        version=alert.version,
        at=iso(alert.at),
        oldPrice=str(alert.old_price) if alert.price_dropped else None,
        newPrice=str(alert.new_price) if alert.price_dropped else None,
        currency=alert.currency if alert.price_dropped else None,
        backInStock=alert.back_in_stock,
    )


def publish_alerts(ports: Ports, saved: Sequence[tuple[list[ProductChange], int]]) -> None:
    """Queue one ``productAlert`` per saved product (its changes and the version written) that has one."""
    messages: list[QueueMessage] = []
    for changes, version in saved:
        alert = alert_for(changes, version)
        if alert is not None:
            messages.append(alert_message(alert))
    if messages:
        ports.publisher.publish(messages)


def identity_of(contact_key: str) -> Identity:
    """The identity that names a contact key (the reverse of ``interactions.identity_key``)."""
    kind, value = contact_key[:2], contact_key[2:]
    if kind == keys.KNOWN:
        return Identity(externalId=value)
    if kind == keys.EMAIL:
        return Identity(email=value)
    if kind == keys.PHONE:
        return Identity(phone=value)
    return Identity(anonymousId=value)


def alert_events(message: ProductAlertMsg, contact_key: str, now: datetime) -> list[Event]:
    """The personal events one alert makes for one contact."""
    wanted: list[tuple[str, dict[str, object]]] = []
    if message.oldPrice is not None and message.newPrice is not None:
        prices = {"old_price": float(message.oldPrice), "new_price": float(message.newPrice)}
        wanted.append((PRICE_DROPPED, {"product_id": message.productId, **prices, "currency": message.currency}))
    if message.backInStock:
        wanted.append((BACK_IN_STOCK, {"product_id": message.productId}))
    return [
        Event(
            eventId=content_id(
                "pa-", {"type": type_, "product": message.productId, "v": message.version, "contact": contact_key}
            ),
            type=type_,
            identity=identity_of(contact_key),
            timestamp=datetime.fromisoformat(message.at),
            receivedAt=now,
            properties=properties,
            source="catalog",
        )
        for type_, properties in wanted
    ]


def run_alert(ports: Ports, message: ProductAlertMsg) -> None:
    """Publish the alert's events to one page of interested contacts, then queue the next page."""
    at = datetime.fromisoformat(message.at)
    since = at - timedelta(days=INTEREST_DAYS)
    contacts, cursor = ports.interest.interested(message.productId, since, PAGE, message.cursor)
    now = ports.clock.now()
    events = [EventMsg(event=e) for key in contacts for e in alert_events(message, key, now)]
    out: list[QueueMessage] = list(pack(list(events)))
    if cursor is not None:
        out.append(message.model_copy(update={"page": message.page + 1, "cursor": cursor}))
    if out:
        ports.publisher.publish(out)
