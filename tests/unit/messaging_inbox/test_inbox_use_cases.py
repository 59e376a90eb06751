"""The app inbox's use cases on fake ports: tokens bound to a contact that expire and cannot be forged, the inbox
newest first with its unread count and tracked links, reading (counted opened once) and hiding."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import InvalidInput, NotFound, Unauthorized
from chalicelib.messages import EventMsg
from chalicelib.messaging.links import CLICK
from chalicelib.ports import Ports
from chalicelib.services.messaging import inbox, tracking
from chalicelib.services.messaging.signing import signer
from chalicelib.settings import Settings
from tests.fakes import FakePublisher
from tests.unit.messaging_inbox.support import BASE, deliver, wired


def bearer(ports: Ports, external_id: str = "ann") -> str:
    return f"Bearer {inbox.issue_token(ports, external_id).token}"


def opened_events(ports: Ports) -> list[dict[str, object]]:
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    return [
        m.event.properties
        for m in publisher.messages("events")
        if isinstance(m, EventMsg) and m.event.type == "Message Opened"
    ]


# --- tokens -------------------------------------------------------------------------------------------------------


def test_a_token_names_its_contact():
    ports = wired()
    assert inbox.contact_of(ports, bearer(ports, "bob")) == "x#bob"


def test_a_token_expires_after_thirty_days():
    ports = wired()
    issued = inbox.issue_token(ports, "ann")
    assert isinstance(ports.clock, FixedClock)
    ports.clock.advance(days=30)
    with pytest.raises(Unauthorized, match="inbox token"):
        inbox.contact_of(ports, f"Bearer {issued.token}")


def test_a_token_works_until_it_expires():
    ports = wired()
    header = bearer(ports)
    assert isinstance(ports.clock, FixedClock)
    ports.clock.advance(days=29, hours=23)
    assert inbox.contact_of(ports, header) == "x#ann"


def test_a_token_with_its_contact_changed_is_refused():
    ports = wired()
    payload, mac = inbox.issue_token(ports, "ann").token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[2] = "x#bob"
    forged = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthorized):
        inbox.contact_of(ports, f"Bearer {forged}.{mac}")


def test_a_token_signed_under_another_secret_is_refused():
    other = wired(Settings(link_secret="another-stage"))
    ports = wired()
    with pytest.raises(Unauthorized):
        inbox.contact_of(ports, bearer(other))


def test_a_token_keeps_working_while_its_secret_is_rotated_out():
    old = wired(Settings(link_secret="old"))
    rotated = wired(Settings(link_secret="new,old"))
    assert inbox.contact_of(rotated, bearer(old)) == "x#ann"


def test_a_link_token_is_not_an_inbox_token():
    ports = wired()
    deliver(ports)
    (item,) = inbox.page(ports, "x#ann", 10, base=BASE).items
    assert item.link is not None
    with pytest.raises(Unauthorized):
        inbox.contact_of(ports, f"Bearer {item.link.rsplit('/', 1)[1]}")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not-a-token", "Bearer a.b.c"])
def test_a_missing_or_malformed_authorization_is_refused(header):
    with pytest.raises(Unauthorized):
        inbox.contact_of(wired(), header)


def test_a_token_for_an_unknown_contact_is_not_issued():
    with pytest.raises(NotFound):
        inbox.issue_token(wired(), "nobody")


# --- listing ------------------------------------------------------------------------------------------------------


def test_the_inbox_lists_newest_first_with_the_unread_count():
    ports = wired()
    first = deliver(ports, origin="api:r-1")
    assert isinstance(ports.clock, FixedClock)
    ports.clock.advance(seconds=1)
    second = deliver(ports, origin="api:r-2")
    page = inbox.page(ports, "x#ann", 10, base=BASE)
    assert [i.message_id for i in page.items] == [second.id, first.id]
    assert (page.unread, page.cursor) == (2, None)


def test_an_http_link_is_listed_as_a_tracked_link_to_it():
    ports = wired()
    message = deliver(ports)
    (item,) = inbox.page(ports, "x#ann", 10, base=BASE).items
    assert item.link is not None and item.link.startswith(f"{BASE}/t/c/")
    token = item.link.removeprefix(f"{BASE}/t/c/")
    claims = signer(ports).verify(token, CLICK)
    assert (claims.url, claims.message_id, claims.channel) == ("https://shop.example/cart", message.id, "appinbox")


def test_expired_messages_are_not_listed_or_counted():
    ports = wired()
    deliver(ports)
    assert isinstance(ports.clock, FixedClock)
    ports.clock.advance(days=7)
    page = inbox.page(ports, "x#ann", 10, base=BASE)
    assert (page.items, page.unread) == ([], 0)


def test_another_contacts_messages_are_not_listed():
    ports = wired()
    deliver(ports, to="bob")
    assert inbox.page(ports, "x#ann", 10, base=BASE).items == []


def test_another_contacts_cursor_is_refused():
    ports = wired()
    for n in range(3):
        deliver(ports, to="bob", origin=f"api:r-{n}")
    cursor = inbox.page(ports, "x#bob", 1).cursor
    with pytest.raises(InvalidInput):
        inbox.page(ports, "x#ann", 1, cursor)


# --- reading and hiding -------------------------------------------------------------------------------------------


def test_reading_marks_the_message_read():
    ports = wired()
    message = deliver(ports)
    item = inbox.read(ports, "x#ann", message.id)
    assert item.read_at is not None
    assert inbox.page(ports, "x#ann", 10).unread == 0


def test_reading_counts_the_message_opened_and_announces_it():
    ports = wired()
    message = deliver(ports)
    inbox.read(ports, "x#ann", message.id)
    stored = ports.messages.message(message.id)
    assert stored is not None and stored.counters.get("opened") == 1
    (opened,) = opened_events(ports)
    assert (opened["channel"], opened["messageId"]) == ("appinbox", message.id)


def test_reading_twice_counts_once():
    ports = wired()
    message = deliver(ports)
    inbox.read(ports, "x#ann", message.id)
    inbox.read(ports, "x#ann", message.id)
    stored = ports.messages.message(message.id)
    assert stored is not None and stored.counters.get("opened") == 1
    assert len(opened_events(ports)) == 1


def test_reading_another_contacts_message_is_not_found_and_counts_nothing():
    ports = wired()
    message = deliver(ports, to="bob")
    with pytest.raises(NotFound):
        inbox.read(ports, "x#ann", message.id)
    stored = ports.messages.message(message.id)
    assert stored is not None and "opened" not in stored.counters


def test_reading_an_expired_message_is_not_found():
    ports = wired()
    message = deliver(ports)
    assert isinstance(ports.clock, FixedClock)
    ports.clock.advance(days=8)
    with pytest.raises(NotFound):
        inbox.read(ports, "x#ann", message.id)


def test_a_hidden_message_is_no_longer_listed():
    ports = wired()
    message = deliver(ports)
    inbox.hide(ports, "x#ann", message.id)
    page = inbox.page(ports, "x#ann", 10)
    assert (page.items, page.unread) == ([], 0)


def test_hiding_another_contacts_message_is_not_found():
    ports = wired()
    message = deliver(ports, to="bob")
    with pytest.raises(NotFound):
        inbox.hide(ports, "x#ann", message.id)
    assert ports.inbox.item("x#bob", message.id, ports.clock.now()) is not None


def test_a_tap_on_the_tracked_link_counts_a_click():
    ports = wired()
    message = deliver(ports)
    (item,) = inbox.page(ports, "x#ann", 10, base=BASE).items
    assert item.link is not None
    assert tracking.clicked(ports, item.link.removeprefix(f"{BASE}/t/c/")) == "https://shop.example/cart"
    stored = ports.messages.message(message.id)
    assert stored is not None and stored.counters.get("clicked") == 1


def test_without_a_public_url_or_base_links_are_listed_as_they_are():
    ports = wired()
    deliver(ports)
    (item,) = inbox.page(ports, "x#ann", 10).items
    assert item.link == "https://shop.example/cart"


def test_the_stage_public_url_wins_over_the_requests_base():
    ports = wired(Settings(link_secret="s", public_url="https://api.shop.example"))
    deliver(ports)
    (item,) = inbox.page(ports, "x#ann", 10, base=BASE).items
    assert item.link is not None and item.link.startswith("https://api.shop.example/t/c/")


def test_a_token_lasts_thirty_days():
    ports = wired()
    issued = inbox.issue_token(ports, "ann")
    assert issued.expires_at == "2026-12-27T12:00:00.000Z"
