"""What recipients do with a sent email, through its signed links: opens and clicks counted and announced once,
unsubscribing written on the contact as any contact write (announced, so segments react)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from chalicelib.clock import FixedClock
from chalicelib.contacts.changes import ContactChanged
from chalicelib.errors import Retryable
from chalicelib.messaging.links import CLICK, BadLink, LinkClaims
from chalicelib.ports import Ports
from chalicelib.services.messaging import tracking
from chalicelib.services.messaging.signing import signer
from chalicelib.settings import Settings
from tests.fakes import FakeMessageStore, FakePublisher
from tests.unit.messaging_send.support import kinds, published, sent, stored, wired


def links(ports: Ports) -> dict[str, list[str]]:
    """The tokens in the sent email, by kind (o, c, u)."""
    (item,) = ports.messages.outbox(10)[0]
    found: dict[str, list[str]] = {"o": [], "c": [], "u": []}
    for kind, token in re.findall(r"/(t/o|t/c|u)/([\w.%-]+)", item.message.content["html"]):
        found[kind[-1]].append(unquote(token))
    return found


@pytest.fixture
def ports() -> Ports:
    ports = wired()
    sent(ports)
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    publisher.drain()  # Message Sent and Delivered: not what these tests look at
    return ports


def only_message(ports: Ports):
    store = ports.messages
    assert isinstance(store, FakeMessageStore)
    (message,) = store.messages.values()
    return stored(ports, message)


def test_opens_count_every_time_and_announce_once(ports):
    (pixel,) = links(ports)["o"]
    for _ in range(3):
        tracking.opened(ports, pixel)
    message = only_message(ports)
    assert message.counters["opened"] == 3 and message.first["opened"] == "2026-11-27T12:00:00.000Z"
    (event,) = published(ports)
    assert event.type == "Message Opened" and event.properties["messageId"] == message.id
    assert event.properties["channel"] == "email" and event.identity.externalId == "ann"


def test_a_pixel_that_is_not_ours_is_ignored(ports):
    tracking.opened(ports, "forged.token")
    assert "opened" not in only_message(ports).counters and published(ports) == []


def test_a_click_leads_to_its_url_and_is_announced_once_per_link(ports):
    (sale,) = links(ports)["c"]
    assert tracking.clicked(ports, sale) == "https://shop.example/sale?utm=mail&x=1"
    assert tracking.clicked(ports, sale) == "https://shop.example/sale?utm=mail&x=1"
    message = only_message(ports)
    assert message.counters["clicked"] == 2
    (event,) = published(ports)
    assert event.type == "Message Clicked" and event.properties["url"] == "https://shop.example/sale?utm=mail&x=1"
    other = signer(ports).sign(LinkClaims(CLICK, message.id, "x#ann", "email", 2**40, "https://shop.example/b"))
    tracking.clicked(ports, other)
    assert kinds(ports) == ["Message Clicked", "Message Clicked"]  # another link's first click


def test_a_click_token_that_is_not_ours_redirects_nowhere(ports):
    (sale,) = links(ports)["c"]
    with pytest.raises(BadLink):
        tracking.clicked(ports, sale[:-3] + "abc")
    other_secret = wired(settings=Settings(link_secret="someone-else"))
    forged = signer(other_secret).sign(LinkClaims(CLICK, "msg_x", "x#ann", "email", 2**40, "https://evil.example/"))
    with pytest.raises(BadLink):
        tracking.clicked(ports, forged)
    assert "clicked" not in only_message(ports).counters


def test_an_expired_click_still_leads_on_but_counts_nothing(ports):
    (sale,) = links(ports)["c"]
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(days=401)
    assert tracking.clicked(ports, sale).startswith("https://shop.example/sale")
    assert "clicked" not in only_message(ports).counters and published(ports) == []


def test_unsubscribing_writes_consent_announces_the_change_and_the_event(ports):
    changes: list[ContactChanged] = []
    ports.changes.subscribe(changes.append)
    (unsubscribe,) = links(ports)["u"]
    assert tracking.unsubscribe_link(ports, unsubscribe) == tracking.Unsubscribe("email", False, True)
    state = tracking.unsubscribe(ports, unsubscribe, "one-click")
    assert state == tracking.Unsubscribe("email", True, True)
    record = ports.contacts.load("x#ann")
    assert record is not None
    assert record.profile["consent"] == {
        "email": {"status": "unsubscribed", "at": "2026-11-27T12:00:00.000Z", "source": "one-click"}
    }
    (change,) = changes
    assert change.before is not None and "consent" not in change.before.profile
    assert change.after is not None and change.after.profile["consent"]["email"]["status"] == "unsubscribed"
    (event,) = published(ports)
    assert event.type == "Message Unsubscribed" and event.properties["via"] == "one-click"
    assert only_message(ports).counters["unsubscribed"] == 1
    # again (a mail client retrying, the page's button after the one-click): nothing more
    tracking.unsubscribe(ports, unsubscribe, "link")
    assert len(changes) == 1 and len(published(ports)) == 1 and only_message(ports).counters["unsubscribed"] == 1
    # and the next email is not sent
    after = sent(ports, origin="api:r-2").message
    assert (after.status, after.failure) == ("failed", "unsubscribed")


def test_subscribing_again_from_the_page(ports):
    (unsubscribe,) = links(ports)["u"]
    tracking.unsubscribe(ports, unsubscribe, "link")
    assert tracking.resubscribe(ports, unsubscribe) == tracking.Unsubscribe("email", False, True)
    record = ports.contacts.load("x#ann")
    assert record is not None and record.profile["consent"]["email"]["status"] == "subscribed"
    assert sent(ports, origin="api:r-3").message.status == "sent"


def test_an_expired_unsubscribe_link_changes_nothing(ports):
    (unsubscribe,) = links(ports)["u"]
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(days=731)
    assert tracking.unsubscribe(ports, unsubscribe, "link") == tracking.Unsubscribe("email", False, False)
    record = ports.contacts.load("x#ann")
    assert record is not None and "consent" not in record.profile


def test_an_event_lost_to_a_failure_is_published_by_the_next_hit(ports):
    (pixel,) = links(ports)["o"]
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    publisher.failure = Retryable("queue down")
    with pytest.raises(Retryable):
        tracking.opened(ports, pixel)
    publisher.failure = None
    tracking.opened(ports, pixel)
    tracking.opened(ports, pixel)
    (event,) = published(ports)
    assert event.type == "Message Opened"
    assert event.timestamp.isoformat().startswith("2026-11-27T12:00:00")  # the first open's time


def test_unsubscribing_follows_a_merged_contact(ports):
    from chalicelib.contacts.models import ContactIn
    from chalicelib.contacts.record import KIND_ALIAS
    from chalicelib.services import contacts

    contacts.upsert(ports, "ann-2", ContactIn(email="ann2@example.com"))
    old = ports.contacts.load("x#ann")
    assert old is not None
    alias = type(old)(key=old.key, kind=KIND_ALIAS, merged_into="x#ann-2")
    ports.contacts.save(alias, old)
    (unsubscribe,) = links(ports)["u"]
    tracking.unsubscribe(ports, unsubscribe, "link")
    target = ports.contacts.load("x#ann-2")
    assert target is not None and target.profile["consent"]["email"]["status"] == "unsubscribed"
