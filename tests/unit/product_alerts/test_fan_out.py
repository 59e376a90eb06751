"""The interest index kept from contact changes, and an alert fanned out to the contacts in it: views, carts and
wishlist adds are noted (one write per product and contact per change), a purchase forgets the pair, and an alert
publishes one personal event per interested contact with an id that a redelivery repeats, page by page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.contacts import keys
from chalicelib.contacts.changes import ContactChanged
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg, EventsMsg, ProductAlertMsg
from chalicelib.services import interest
from tests.fakes import NOW, FakeInterestIndex, FakePublisher, fake_ports

_n = iter(range(10**6))


def event(type_: str, at=NOW, **properties: Any) -> Event:
    return Event(
        eventId=f"e-{next(_n)}",
        type=type_,
        identity=Identity(externalId="ann"),
        timestamp=at,
        receivedAt=at,
        properties=properties,
    )


def change(key: str, *events: Event) -> ContactChanged:
    return ContactChanged(None, ContactRecord(key=key, version=1), tuple(events))


def index(ports) -> FakeInterestIndex:
    assert isinstance(ports.interest, FakeInterestIndex)
    return ports.interest


def published(ports) -> list[Event]:
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    found: list[Event] = []
    for message in publisher.drain("events"):
        if isinstance(message, EventsMsg):
            found += message.events
        elif isinstance(message, EventMsg):
            found.append(message.event)
    return found


def alert(**fields: Any) -> ProductAlertMsg:
    base: dict[str, Any] = {"productId": "p-1", "version": 2, "at": "2026-11-27T12:00:00.000Z"}
    return ProductAlertMsg(**(base | fields))


def test_views_carts_and_wishlist_adds_are_noted_once_per_product_and_contact():
    ports = fake_ports()
    interest.note_change(
        ports,
        change(
            keys.known("ann"),
            event("Product Viewed", product_id="p-1"),
            event("Product Viewed", product_id="p-1", at=NOW + timedelta(minutes=1)),
            event("Product Added to Wishlist", product_id="p-2"),
            event("Cart Updated", cart_id="c", products=[{"product_id": "p-3", "quantity": 1}]),
            event("Page Viewed", url="https://shop.example/"),
        ),
    )
    assert index(ports).writes == 3
    assert {p: list(c) for p, c in index(ports).items.items()} == {
        "p-1": [keys.known("ann")],
        "p-2": [keys.known("ann")],
        "p-3": [keys.known("ann")],
    }
    assert index(ports).items["p-1"][keys.known("ann")] == NOW + timedelta(minutes=1)


def test_a_purchase_forgets_the_interest():
    ports = fake_ports()
    interest.note_change(ports, change(keys.known("ann"), event("Product Viewed", product_id="p-1")))
    interest.note_change(
        ports, change(keys.known("ann"), event("Order Completed", products=[{"product_id": "p-1", "quantity": 1}]))
    )
    assert index(ports).interested("p-1", NOW - timedelta(days=30), 10) == ([], None)


def test_a_price_drop_publishes_one_event_to_each_interested_contact():
    ports = fake_ports()
    ports.interest.note([("p-1", keys.known("ann"), NOW), ("p-1", keys.email("bo@example.com"), NOW)])
    ports.interest.note([("p-2", keys.known("cy"), NOW)])
    interest.run_alert(ports, alert(oldPrice="10.00", newPrice="8.00", currency="EUR"))
    events = published(ports)
    assert sorted((e.identity.externalId or e.identity.email or "", e.type) for e in events) == [
        ("ann", "Price Dropped"),
        ("bo@example.com", "Price Dropped"),
    ]
    assert events[0].properties == {"product_id": "p-1", "old_price": 10.0, "new_price": 8.0, "currency": "EUR"}


def test_interest_older_than_thirty_days_is_not_alerted():
    ports = fake_ports()
    ports.interest.note([("p-1", keys.known("ann"), NOW - timedelta(days=31))])
    interest.run_alert(ports, alert(backInStock=True))
    assert published(ports) == []


def test_a_redelivered_alert_publishes_the_same_event_ids():
    ports = fake_ports()
    ports.interest.note([("p-1", keys.known("ann"), NOW)])
    interest.run_alert(ports, alert(backInStock=True))
    first = [(e.eventId, e.type) for e in published(ports)]
    interest.run_alert(ports, alert(backInStock=True))
    assert [(e.eventId, e.type) for e in published(ports)] == first
    assert first[0][1] == "Back In Stock"
    interest.run_alert(ports, alert(backInStock=True, version=3))  # a later change is a new event
    assert [e.eventId for e in published(ports)] != [first[0][0]]


def test_many_interested_contacts_are_paged_through_queued_pages(monkeypatch):
    monkeypatch.setattr(interest, "PAGE", 2)
    ports = fake_ports()
    ports.interest.note([("p-1", keys.known(f"c{n}"), NOW) for n in range(5)])
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    interest.run_alert(ports, alert(backInStock=True))
    pages = 1
    while queued := publisher.drain("imports"):
        (next_page,) = queued
        assert isinstance(next_page, ProductAlertMsg) and next_page.page == pages
        interest.run_alert(ports, next_page)
        pages += 1
    assert pages == 3
    assert sorted(e.identity.externalId or "" for e in published(ports)) == [f"c{n}" for n in range(5)]
