"""One message to one contact on fake ports: what is sent, what is recorded and announced, and that retries,
redeliveries, races and crashes never send twice."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from chalicelib.clock import FixedClock
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput, NotFound, Permanent, Retryable
from chalicelib.messaging.outbound import FAILED, PENDING, SENDING, SENT, SendResult
from chalicelib.messaging.templates import TemplateIn
from chalicelib.services import contacts, templates
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.messaging.send import SEND_LEASE, SendRequest, send
from chalicelib.settings import Settings
from tests.fakes import FakeMessageStore
from tests.unit.messaging_send.support import (
    BASE,
    OneSender,
    ScriptedSender,
    email_template,
    kinds,
    published,
    sent,
    stored,
    wired,
)


def store_of(ports) -> FakeMessageStore:
    assert isinstance(ports.messages, FakeMessageStore)
    return ports.messages


def test_an_email_goes_to_the_sandbox_rendered_tracked_and_announced():
    ports = wired()
    result = sent(ports)
    message = result.message
    assert (message.status, message.channel, message.provider, result.repeated) == (SENT, "email", "sandbox", False)
    assert message.provider_id == f"sandbox-{message.id}" and message.counters == {"delivered": 1}
    (item,) = ports.messages.outbox(10)[0]
    assert item.message.to == {"email": "ann@example.com"}
    content = item.message.content
    assert content["subject"] == "Hi Ann" and content["from"] == "Shop <shop@example.com>"
    html = content["html"]
    assert "Hello Ann" in html and "color: #333" in html  # rendered, CSS inlined
    assert re.search(rf'href="{BASE}/t/c/[\w.-]+">Sale', html)  # the web link is tracked
    assert 'href="mailto:help@shop.example"' in html and 'href="#top"' in html  # the others are not
    assert re.search(rf'<img src="{BASE}/t/o/[\w.-]+"', html)
    assert re.search(rf'href="{BASE}/u/[\w.-]+">Unsubscribe', html)
    assert item.message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert item.message.headers["List-Unsubscribe"].startswith(f"<{BASE}/u/")
    # the contact's activity hears of it, with the names segment conditions read
    events = published(ports)
    assert [e.type for e in events] == ["Message Sent", "Message Delivered"]
    assert all(
        e.properties == {"channel": "email", "messageId": message.id, "templateId": "welcome"}
        and e.identity.externalId == "ann"
        and e.timestamp.isoformat().startswith("2026-11-27T12:00")
        for e in events
    )


def test_an_sms_goes_to_the_phone_with_its_data():
    ports = wired(email="ann@example.com", phone="+380501234567")
    message = sent(ports, "code", data={"code": "4711"}).message
    assert message.status == SENT and message.channel == "sms"
    (item,) = ports.messages.outbox(10)[0]
    assert item.message.to == {"phone": "+380501234567"}
    assert item.message.content == {"text": "Code 4711"} and item.message.headers == {}


def test_the_same_ledger_key_sends_once_and_returns_the_first_message():
    ports = wired()
    first = sent(ports, origin="api:r-1")
    again = sent(ports, origin="api:r-1")
    assert again.repeated and again.message.id == first.message.id and again.message.status == SENT
    assert len(ports.messages.outbox(10)[0]) == 1
    assert kinds(ports) == ["Message Sent", "Message Delivered"]
    other = sent(ports, origin="api:r-2")  # another request is another message
    assert other.message.id != first.message.id and len(ports.messages.outbox(10)[0]) == 2


def test_concurrent_duplicates_send_once():
    ports = wired()
    sender = ScriptedSender(idempotent=True)
    ports.senders = OneSender(sender)
    barrier = threading.Barrier(8)
    results = []

    def attempt() -> None:
        barrier.wait()
        results.append(sent(ports, origin="campaign:c-1", step="wave-1"))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sender.handed) == 1
    assert len({r.message.id for r in results}) == 1
    assert sum(not r.repeated for r in results) == 1


@pytest.mark.parametrize("transactional", [False, True])
def test_an_unsubscribed_contact_gets_nothing_and_the_failure_is_recorded(transactional):
    ports = wired()
    set_consent(ports, "x#ann", "email", "unsubscribed", "link")
    message = sent(ports, transactional=transactional).message
    assert (message.status, message.failure) == (FAILED, "unsubscribed")
    assert message.reason == "the contact unsubscribed from email"
    assert ports.messages.outbox(10)[0] == []
    (event,) = published(ports)
    assert event.type == "Message Failed"
    assert event.properties["failure"] == "unsubscribed" and event.properties["messageId"] == message.id


def test_a_contact_without_an_address_is_unreachable():
    ports = wired(phone="+380501234567")
    message = sent(ports).message
    assert (message.status, message.failure, message.reason) == (
        FAILED,
        "unreachable",
        "the contact has no email address",
    )


def test_a_template_that_does_not_render_fails_that_message_only():
    ports = wired()
    broken = email_template("broken", html="<p>{{ contact.firstName.nope() }}</p>")
    templates.create(ports, broken)
    failed = sent(ports, "broken", origin="campaign:1").message
    assert (failed.status, failed.failure) == (FAILED, "template")
    assert failed.reason and failed.reason.startswith("html: ")
    contacts.upsert(ports, "bob", ContactIn(email="bob@example.com"))
    ok = send(
        ports, SendRequest(contact_key="x#bob", template_id="welcome", origin="campaign:2", base_url=BASE)
    ).message
    assert ok.status == SENT  # the next one in the batch goes out
    assert kinds(ports) == ["Message Failed", "Message Sent", "Message Delivered"]


def test_missing_contact_template_or_a_channel_that_is_not_sent():
    ports = wired()
    with pytest.raises(NotFound):
        sent(ports, "nope")
    with pytest.raises(NotFound):
        send(ports, SendRequest(contact_key="x#nobody", template_id="welcome", origin="api:1"))
    templates.create(ports, TemplateIn(id="popup", name="popup", channel="inapp", content={"title": "Hi"}))
    with pytest.raises(InvalidInput):
        sent(ports, "popup")
    assert store_of(ports).claims == {}  # nothing claimed for any of them


def test_a_retryable_sender_error_leaves_the_message_to_the_retry():
    ports = wired()
    sender = ScriptedSender(Retryable("provider busy"))
    ports.senders = OneSender(sender)
    with pytest.raises(Retryable):
        sent(ports)
    (claimed,) = store_of(ports).messages.values()
    assert claimed.status == PENDING and kinds(ports) == []
    retried = sent(ports).message
    assert retried.id == claimed.id and retried.status == SENT and retried.attempts == 2
    assert len(sender.handed) == 2 and kinds(ports) == ["Message Sent"]


def test_a_refusal_fails_the_message_with_the_providers_reason():
    ports = wired()
    ports.senders = OneSender(ScriptedSender(Permanent("mailbox does not exist")))
    message = sent(ports).message
    assert (message.status, message.failure, message.reason) == (FAILED, "refused", "mailbox does not exist")
    assert kinds(ports) == ["Message Failed"]


def test_a_channel_whose_provider_is_not_available_fails_with_the_reason():
    ports = wired(settings=Settings(message_providers="email=postmark"))
    message = sent(ports).message
    assert (message.status, message.failure) == (FAILED, "unconfigured")
    assert message.reason and "'postmark' is not available" in message.reason


def test_an_email_without_a_public_url_for_its_links_is_not_sent():
    ports = wired()
    message = send(ports, SendRequest(contact_key="x#ann", template_id="welcome", origin="campaign:1")).message
    assert (message.status, message.failure) == (FAILED, "unconfigured")
    assert message.reason and "ORBIT_PUBLIC_URL" in message.reason
    ports = wired(settings=Settings(public_url="https://crm.example"))
    message = send(ports, SendRequest(contact_key="x#ann", template_id="welcome", origin="campaign:1")).message
    (item,) = ports.messages.outbox(10)[0]
    assert message.status == SENT and "https://crm.example/t/o/" in item.message.content["html"]


def test_a_crash_after_the_claim_sends_the_claimed_message_on_retry():
    ports = wired()
    store_of(ports).fail_next["create_message"] = Retryable("killed")
    with pytest.raises(Retryable):
        sent(ports)
    (claim,) = store_of(ports).claims.values()
    message = sent(ports).message
    assert message.id == claim.message_id and message.status == SENT


def _crash_after_the_provider_call(ports, sender) -> None:
    """The provider took the message, then the attempt died before recording it sent."""
    ports.senders = OneSender(sender)
    store = store_of(ports)
    real = store.update_message

    def dying(message_id, expected, changes):
        if changes.get("status") == SENT:
            raise Retryable("killed")
        return real(message_id, expected, changes)

    store.update_message = dying  # type: ignore[method-assign]
    with pytest.raises(Retryable):
        sent(ports)
    store.update_message = real  # type: ignore[method-assign]


def test_an_interrupted_send_is_left_alone_within_the_lease():
    ports = wired()
    sender = ScriptedSender(idempotent=True)
    _crash_after_the_provider_call(ports, sender)
    message = sent(ports).message
    assert message.status == SENDING and len(sender.handed) == 1


def test_after_the_lease_an_idempotent_sender_gets_it_again_and_the_event_is_the_same():
    ports = wired()
    sender = ScriptedSender(idempotent=True)
    _crash_after_the_provider_call(ports, sender)
    first_events = published(ports)
    assert [e.type for e in first_events] == ["Message Sent"]
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(seconds=SEND_LEASE.total_seconds() + 1)
    message = sent(ports).message
    assert message.status == SENT and message.attempts == 2
    assert [m.message_id for m in sender.handed] == [message.id, message.id]
    resent = published(ports)[1]
    assert (resent.eventId, resent.timestamp) == (first_events[0].eventId, first_events[0].timestamp)


def test_after_the_lease_a_sender_that_cannot_dedupe_is_not_called_again():
    ports = wired()
    sender = ScriptedSender(idempotent=False)
    _crash_after_the_provider_call(ports, sender)
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(minutes=10)
    message = sent(ports).message
    assert (message.status, message.failure) == (FAILED, "interrupted")
    assert len(sender.handed) == 1


def test_a_redelivered_sandbox_send_keeps_one_outbox_copy():
    ports = wired()
    _crash_after_the_provider_call(ports, ports.senders.sender("email"))
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(seconds=(SEND_LEASE + timedelta(seconds=1)).total_seconds())
    assert sent(ports).message.status == SENT
    assert len(ports.messages.outbox(10)[0]) == 1


def test_the_contacts_language_picks_the_version():
    ports = wired(email="olena@example.com", firstName="Olena", languageCode="uk")
    templates.create(
        ports,
        TemplateIn(
            id="hello",
            name="hello",
            channel="email",
            content={"from": "shop@example.com", "subject": "Hello", "text": "Hello"},
            versions={"uk": {"subject": "Привіт", "text": "Привіт"}},
        ),
    )
    message = sent(ports, "hello").message
    assert message.language == "uk"
    (item,) = ports.messages.outbox(10)[0]
    assert item.message.content["subject"] == "Привіт"
    assert item.message.content["text"].startswith("Привіт\n\nUnsubscribe: ")


def test_messages_go_to_known_contacts_only():
    ports = wired()
    contacts.upsert(ports, "bob", ContactIn(email="bob@example.com"))
    assert sent(ports).message.contact_key == "x#ann"
    with pytest.raises(NotFound):
        send(ports, SendRequest(contact_key="e#bob@example.com", template_id="welcome", origin="api:1"))


def test_a_sender_result_without_delivery_counts_nothing_delivered():
    ports = wired()
    ports.senders = OneSender(ScriptedSender(SendResult("scripted", "p-1")))
    message = sent(ports).message
    assert message.status == SENT and message.counters == {} and kinds(ports) == ["Message Sent"]
    assert stored(ports, message).provider_id == "p-1"
