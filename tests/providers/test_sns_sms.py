import pytest

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.sns_sms import SnsSmsSender, phone
from chalicelib.settings import Settings


def sms(number="+380 50 123-45-67", text="Your code is 1234"):
    return Outgoing("msg_1", "sms", "x#ann", "code", {"phone": number}, {"text": text})


def test_sns_publishes_to_the_number_and_answers_its_message_id(clients):
    sender = SnsSmsSender(Settings(sns_sms_sender_id="Shop"), clients)
    result = sender.send(sms())
    assert result.provider == "sns" and result.provider_id and not sender.idempotent
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages[result.provider_id]
    assert sent == ("+380501234567", "Your code is 1234")


def test_numbers_are_normalised_to_e164():
    assert phone(sms()) == "+380501234567"


@pytest.mark.parametrize("number", ["0501234567", "+0123", "call me", ""])
def test_a_number_that_is_not_e164_is_refused_before_any_call(number):
    def no_call(service):
        raise AssertionError("no AWS call")

    with pytest.raises(Permanent, match="E.164"):
        SnsSmsSender(Settings(), no_call).send(sms(number))


def test_an_sms_without_text_is_refused():
    with pytest.raises(Permanent):
        SnsSmsSender(Settings(), lambda s: None).send(sms(text=""))
