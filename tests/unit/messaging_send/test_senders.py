"""Which sender serves each channel: the sandbox unless the stage names a provider, and the sandbox's copy."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import CHANNELS, Outgoing
from chalicelib.providers.sandbox import SandboxSender
from chalicelib.providers.senders import ChannelSenders, parse_providers
from chalicelib.settings import Settings
from tests.fakes import NOW, FakeMessageStore


def senders(setting: str) -> ChannelSenders:
    return ChannelSenders(Settings(message_providers=setting), FakeMessageStore(), FixedClock(NOW))


def test_every_channel_goes_to_the_sandbox_unless_named():
    assert parse_providers("") == {**dict.fromkeys(CHANNELS, "sandbox"), "appinbox": "inbox"}  # the inbox delivers
    assert parse_providers(" email = SES , sms=twilio,")["email"] == "ses"
    chosen = senders("")
    assert chosen.sender("email") is chosen.sender("telegram")  # one sandbox for all
    assert chosen.sender("email").name == "sandbox" and chosen.sender("email").idempotent


@pytest.mark.parametrize("setting", ["email", "fax=sandbox", "email="])
def test_a_setting_that_does_not_parse_fails_sends_not_the_platform(setting):
    chosen = senders(setting)
    assert chosen.providers() == {}
    with pytest.raises(Permanent, match="ORBIT_MESSAGE_PROVIDERS"):
        chosen.sender("email")


def test_a_provider_this_release_lacks_is_refused_with_its_name():
    chosen = senders("email=postmark")
    assert chosen.providers()["email"] == "postmark" and chosen.providers()["sms"] == "sandbox"
    with pytest.raises(Permanent, match="'postmark' is not available"):
        chosen.sender("email")
    with pytest.raises(Permanent):
        chosen.sender("inapp")


def test_the_sandbox_keeps_the_first_copy_and_reports_delivery():
    store = FakeMessageStore()
    sandbox = SandboxSender(store, FixedClock(NOW))
    message = Outgoing("msg_1", "sms", "x#ann", "code", {"phone": "+380501234567"}, {"text": "1"}, created_at="t")
    result = sandbox.send(message)
    assert (result.provider, result.provider_id, result.delivered_at) == (
        "sandbox",
        "sandbox-msg_1",
        "2026-11-27T12:00:00.000Z",
    )
    sandbox.send(Outgoing("msg_1", "sms", "x#ann", "code", {"phone": "+1"}, {"text": "2"}))
    (item,) = store.outbox(10)[0]
    assert item.message.content == {"text": "1"} and item.provider_id == "sandbox-msg_1"
