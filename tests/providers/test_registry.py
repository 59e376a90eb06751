import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import Permanent
from chalicelib.providers.senders import ChannelSenders
from chalicelib.settings import Settings
from tests.conftest import NOW
from tests.fakes import FakeMessageStore


def senders(setting, clients=None):
    return ChannelSenders(Settings(message_providers=setting), FakeMessageStore(), FixedClock(NOW), clients)


def test_each_named_provider_serves_its_channel_and_the_rest_stay_in_the_sandbox(clients):
    chosen = senders("email=ses,sms=twilio,telegram=telegram,viber=viber", clients)
    assert {c: chosen.sender(c).name for c in ("email", "sms", "telegram", "viber", "webpush")} == {
        "email": "ses",
        "sms": "twilio",
        "telegram": "telegram",
        "viber": "viber",
        "webpush": "sandbox",
    }
    assert senders("sms=sns", clients).sender("sms").name == "sns"


def test_a_provider_named_for_a_channel_it_does_not_send_is_refused():
    with pytest.raises(Permanent, match="'ses' does not send sms"):
        senders("sms=ses").sender("sms")


def test_without_aws_clients_an_aws_provider_fails_its_sends_with_a_reason():
    with pytest.raises(Permanent, match="no AWS clients"):
        senders("sms=sns").sender("sms").send(
            __import__("chalicelib.messaging.outbound", fromlist=["Outgoing"]).Outgoing(
                "m", "sms", "x#a", "t", {"phone": "+380501234567"}, {"text": "x"}
            )
        )
