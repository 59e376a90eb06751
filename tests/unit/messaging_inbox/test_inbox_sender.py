"""The app inbox sender: an appinbox message is delivered into the contact's inbox, once per message id, with the
template's expiry; the inbox is the appinbox channel's default provider."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.clock import FixedClock, iso
from chalicelib.messaging.outbound import SENT, Outgoing
from chalicelib.providers.inbox import InboxSender
from chalicelib.providers.senders import parse_providers
from chalicelib.settings import Settings
from tests.fakes import NOW, FakeInboxStore, FakeMessageStore
from tests.unit.messaging_inbox.support import deliver, wired

CREATED = iso(NOW - timedelta(hours=1))


def outgoing(message_id: str = "msg_1", **content: object) -> Outgoing:
    return Outgoing(
        message_id,
        "appinbox",
        "x#ann",
        "coupon",
        {"appinbox": "ann-app"},
        {"title": "Hi", **content},
        created_at=CREATED,
    )


def test_appinbox_defaults_to_the_inbox_and_can_still_be_named():
    assert parse_providers("")["appinbox"] == "inbox"
    assert parse_providers("appinbox=sandbox")["appinbox"] == "sandbox"


def test_a_send_stores_the_rendered_message_in_the_contacts_inbox():
    ports = wired()
    message = deliver(ports)
    assert (message.status, message.provider, message.counters) == (SENT, "inbox", {"delivered": 1})
    item = ports.inbox.item("x#ann", message.id, NOW)
    assert item is not None
    assert (item.title, item.body, item.image, item.link) == (
        "Hi Ann",
        "Your coupon: SAVE10",
        "https://shop.example/coupon.png",
        "https://shop.example/cart",
    )


def test_the_expiry_is_the_templates_days_after_the_message_was_created():
    inbox = FakeInboxStore()
    InboxSender(inbox, FixedClock(NOW)).send(outgoing(expiresInDays=3))
    item = inbox.item("x#ann", "msg_1", NOW)
    assert item is not None and item.expires_at == iso(NOW - timedelta(hours=1) + timedelta(days=3))


def test_without_expires_in_days_the_item_does_not_expire():
    inbox = FakeInboxStore()
    InboxSender(inbox, FixedClock(NOW)).send(outgoing())
    assert inbox.item("x#ann", "msg_1", NOW + timedelta(days=3650)) is not None


def test_sending_a_message_id_again_stores_one_item():
    inbox = FakeInboxStore()
    sender = InboxSender(inbox, FixedClock(NOW))
    sender.send(outgoing(body="first"))
    sender.send(outgoing(body="second"))
    items, _ = inbox.items("x#ann", NOW, 10)
    assert [i.body for i in items] == ["first"]
    assert sender.idempotent


def test_on_the_local_stage_the_outbox_keeps_a_copy():
    ports = wired(Settings(stage="local", link_secret="s"))
    message = deliver(ports)
    assert ports.messages.outbox_item(message.id) is not None


def test_elsewhere_the_outbox_keeps_no_copy():
    ports = wired(Settings(stage="prod", link_secret="s"))
    message = deliver(ports)
    assert ports.messages.outbox_item(message.id) is None


def test_the_sender_reports_delivery_at_once():
    result = InboxSender(FakeInboxStore(), FixedClock(NOW), FakeMessageStore()).send(outgoing())
    assert (result.provider, result.provider_id, result.delivered_at) == ("inbox", "inbox-msg_1", iso(NOW))
