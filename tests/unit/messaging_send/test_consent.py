"""Consent and reachability: who may get a message on which channel, and where it goes."""

from __future__ import annotations

import pytest

from chalicelib.messaging import consent
from chalicelib.messaging.outbound import UNREACHABLE, UNSUBSCRIBED

EMAIL = {"email": "ann@example.com"}
OUT = {"status": "unsubscribed", "at": "2026-11-27T12:00:00.000Z", "source": "link"}


def test_no_entry_is_subscribed():
    assert consent.status({}, "email") == consent.SUBSCRIBED
    assert consent.status({"consent": {"sms": OUT}}, "email") == consent.SUBSCRIBED
    assert consent.status({"consent": {"email": OUT}}, "email") == UNSUBSCRIBED


@pytest.mark.parametrize("transactional", [False, True])
def test_an_unsubscribed_channel_refuses_every_message_transactional_too(transactional):
    decision = consent.check({**EMAIL, "consent": {"email": OUT}}, [], "email", transactional)
    assert decision.allowed is False and decision.failure == UNSUBSCRIBED


def test_other_channels_are_not_affected():
    profile = {**EMAIL, "phone": "+380501234567", "consent": {"email": OUT}}
    assert consent.check(profile, [], "sms", False).allowed


def test_a_contact_without_an_address_on_the_channel_is_unreachable():
    decision = consent.check({"phone": "+380501234567"}, [], "email", True)
    assert decision == consent.Decision(False, UNREACHABLE, "the contact has no email address")


def test_addresses_by_channel():
    profile = {"email": "ann@example.com", "phone": "+380501234567"}
    channels = [
        {"type": "mobilepush", "value": "old-token", "active": True},
        {"type": "mobilepush", "value": "token-2", "appId": "app"},
        {"type": "telegram", "value": "42", "active": False},
        {"type": "webpush", "value": "https://push.example/1", "subscription": {"keys": {"p256dh": "k"}}},
    ]
    assert consent.address(profile, channels, "email") == {"email": "ann@example.com"}
    assert consent.address(profile, channels, "sms") == {"phone": "+380501234567"}
    assert consent.address(profile, channels, "viber") == {"phone": "+380501234567"}  # by phone number
    assert consent.address(profile, channels, "mobilepush") == {
        "type": "mobilepush",
        "value": "token-2",
        "appId": "app",
    }
    assert consent.address(profile, channels, "telegram") is None  # inactive
    assert consent.address(profile, channels, "webpush")["subscription"] == {"keys": {"p256dh": "k"}}
    assert consent.address({}, channels, "appinbox") is None


def test_a_new_status_keeps_the_other_channels():
    profile = {"consent": {"sms": OUT}}
    updated = consent.with_status(profile, "email", "unsubscribed", "2026-11-28T00:00:00.000Z", "one-click")
    assert updated == {
        "sms": OUT,
        "email": {"status": "unsubscribed", "at": "2026-11-28T00:00:00.000Z", "source": "one-click"},
    }
    assert profile == {"consent": {"sms": OUT}}
    with pytest.raises(ValueError):
        consent.with_status(profile, "email", "maybe", "t", "x")
