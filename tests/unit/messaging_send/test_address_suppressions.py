"""The stage's address suppression list on fake ports: sends to a listed address fail ``suppressed`` before the
provider call, entries are normalised, and SES hard bounces add the addresses that failed."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.messaging.outbound import FAILED, SENT
from chalicelib.services.messaging import callbacks, suppressions
from tests.unit.messaging_send.support import OneSender, ScriptedSender, kinds, sent, wired


def test_an_email_to_a_suppressed_address_fails_before_the_provider_call():
    ports = wired()
    sender = ScriptedSender()
    ports.senders = OneSender(sender)
    suppressions.suppress(ports, "email", "ANN@example.com", "asked by phone")
    message = sent(ports, transactional=True).message
    assert (message.status, message.failure) == (FAILED, "suppressed")
    assert "asked by phone" in (message.reason or "")
    assert sender.handed == [] and "Message Failed" in kinds(ports)


def test_a_phone_is_matched_in_e164_however_it_was_written():
    ports = wired(phone="+380501234567", firstName="Ann")
    ports.senders = OneSender(ScriptedSender())
    suppressions.suppress(ports, "sms", "+380 50 123-45-67", "carrier complaint")
    message = sent(ports, "code", data={"code": "1"}).message
    assert message.failure == "suppressed"


def test_a_lifted_address_is_sent_to_again():
    ports = wired()
    ports.senders = OneSender(ScriptedSender())
    suppressions.suppress(ports, "email", "ann@example.com", "typo")
    lifted = suppressions.lift(ports, "email", "ann@example.com")
    assert lifted.reason == "typo"
    assert sent(ports).message.status == SENT
    with pytest.raises(NotFound):
        suppressions.lift(ports, "email", "ann@example.com")


def test_another_address_is_not_held_back():
    ports = wired()
    ports.senders = OneSender(ScriptedSender())
    suppressions.suppress(ports, "email", "bob@example.com", "bounced")
    assert sent(ports).message.status == SENT


@pytest.mark.parametrize(
    ("channel", "address", "field"),
    [("push", "ann@example.com", "channel"), ("email", "not-an-email", "address"), ("sms", "0501234567", "address")],
)
def test_a_bad_channel_or_address_is_refused_naming_it(channel, address, field):
    with pytest.raises(InvalidInput) as refused:
        suppressions.suppress(wired(), channel, address, "x")
    assert [d.path for d in refused.value.details] == [field]


def test_a_hard_bounce_puts_the_bounced_address_on_the_list():
    ports = wired()
    ports.senders = OneSender(ScriptedSender())
    message = sent(ports).message
    body = {
        "eventType": "Bounce",
        "mail": {"tags": {"orbit-message": [message.id]}},
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "Ann@Example.com"}]},
    }
    assert callbacks.ses_event(ports, body, "n-1") == "recorded"
    entry = ports.addresses.suppression("email", "ann@example.com")
    assert entry is not None and (entry.reason, entry.source) == ("bounced", "ses")
