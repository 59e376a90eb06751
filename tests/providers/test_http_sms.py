import base64
from urllib.parse import parse_qs

import pytest

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.http_sms import HttpSmsSender
from chalicelib.settings import Settings

SID = "AC0123456789abcdef0123456789abcdef"


@pytest.fixture
def sender(clients, loopback):
    clients("ssm").put_parameter(Name="/orbit-test/twilio", Value="tw-token", Type="SecureString")
    settings = Settings(
        twilio_account_sid=SID,
        twilio_auth_token="ssm:/orbit-test/twilio",
        twilio_from="+15005550006",
        twilio_base_url=loopback.url,
        allow_private_webhooks=True,
    )
    return HttpSmsSender(settings, clients)


def sms(number="+380501234567"):
    return Outgoing("msg_1", "sms", "x#ann", "code", {"phone": number}, {"text": "Your code is 1234 ✓"})


def test_a_form_encoded_post_with_basic_auth_to_the_account_messages(sender, loopback):
    loopback.answer(201, {"sid": "SM123", "status": "queued"})
    result = sender.send(sms())
    assert (result.provider, result.provider_id) == ("twilio", "SM123")
    (seen,) = loopback.seen
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:tw-token".encode()).decode()
    assert parse_qs(seen.body.decode()) == {
        "To": ["+380501234567"],
        "From": ["+15005550006"],
        "Body": ["Your code is 1234 ✓"],
    }


def test_an_invalid_number_is_permanent_with_twilio_s_reason(sender, loopback):
    loopback.answer(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
    with pytest.raises(Permanent, match="21211 The 'To' number is not a valid"):
        sender.send(sms())


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_retryable(sender, loopback, status):
    loopback.answer(status, {"code": 20429, "message": "Too Many Requests"})
    with pytest.raises(Retryable):
        sender.send(sms())


def test_a_timeout_is_retryable(sender, loopback, monkeypatch):
    from chalicelib.providers import http_post

    monkeypatch.setattr(http_post, "TIMEOUT", 0.2)
    loopback.delay = 1.0
    with pytest.raises(Retryable, match="could not be reached"):
        sender.send(sms())


def test_a_private_api_address_is_refused_unless_allowed(clients, loopback):
    clients("ssm").put_parameter(Name="/orbit-test/twilio", Value="tw-token", Type="SecureString")
    settings = Settings(
        twilio_account_sid=SID,
        twilio_auth_token="ssm:/orbit-test/twilio",
        twilio_from="+1500",
        twilio_base_url=loopback.url,
    )
    with pytest.raises(Permanent, match="non-public address") as caught:
        HttpSmsSender(settings, clients).send(sms())
    assert not loopback.seen and "tw-token" not in str(caught.value)


def test_missing_account_settings_are_permanent(clients):
    with pytest.raises(Permanent, match="ORBIT_TWILIO_ACCOUNT_SID"):
        HttpSmsSender(Settings(), clients).send(sms())
