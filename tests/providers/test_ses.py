import email
from email import policy

import pytest

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.ses import SesSender, aws_failure, mime
from chalicelib.settings import Settings

CONTENT = {
    "from": "Shop <shop@example.com>",
    "replyTo": "help@example.com",
    "subject": "Your order o-77 — thank you",
    "html": "<html><body><p>Thanks, Ann</p></body></html>",
    "text": "Thanks, Ann",
}
HEADERS = {"List-Unsubscribe": "<https://api.example/u/t>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def outgoing(to="ann@example.com", content=None, headers=None):
    return Outgoing("msg_1", "email", "x#ann", "order", {"email": to}, content or CONTENT, headers or HEADERS)


def test_the_mime_message_carries_both_parts_the_headers_and_the_message_id():
    parsed = email.message_from_bytes(mime(outgoing()), policy=policy.default)
    assert parsed["From"] == "Shop <shop@example.com>" and parsed["To"] == "ann@example.com"
    assert parsed["Reply-To"] == "help@example.com" and parsed["Subject"] == CONTENT["subject"]
    assert parsed["List-Unsubscribe"] == HEADERS["List-Unsubscribe"]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["X-Orbit-Message-Id"] == "msg_1"
    assert parsed.get_body(("plain",)).get_content().strip() == "Thanks, Ann"
    assert "<p>Thanks, Ann</p>" in parsed.get_body(("html",)).get_content()


def test_a_header_or_address_that_would_inject_lines_is_refused():
    with pytest.raises(Permanent):
        mime(outgoing(to="ann@example.com\r\nBcc: x@evil.example"))
    with pytest.raises(Permanent):
        mime(outgoing(headers={"List-Unsubscribe": "<a>\r\nBcc: x@evil.example"}))
    with pytest.raises(Permanent, match="from"):
        mime(outgoing(content={**CONTENT, "from": "not an address"}))


def test_ses_v2_takes_it_and_answers_its_message_id(clients):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    clients("sesv2").create_email_identity(EmailIdentity="example.com")
    sender = SesSender(Settings(), clients)
    result = sender.send(outgoing())
    assert result.provider == "ses" and result.provider_id and not sender.idempotent
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    delivered = email.message_from_string(sent.raw_data, policy=policy.default)
    assert delivered["To"] == "ann@example.com" and delivered["List-Unsubscribe"] == HEADERS["List-Unsubscribe"]


def test_an_unverified_sender_is_a_permanent_refusal_with_the_reason(clients):
    with pytest.raises(Permanent, match="ses refused it: MessageRejected"):
        SesSender(Settings(), clients).send(outgoing())


class Answer(Exception):
    def __init__(self, code, status):
        self.response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (Answer("TooManyRequestsException", 429), Retryable),
        (Answer("LimitExceededException", 400), Retryable),
        (Answer("InternalFailure", 500), Retryable),
        (TimeoutError(), Retryable),
        (Answer("MessageRejected", 400), Permanent),
        (Answer("AccountSuspendedException", 400), Permanent),
    ],
)
def test_errors_are_retryable_when_transient_and_permanent_when_refused(exc, kind):
    assert type(aws_failure(exc, "ses", {"MessageRejected", "AccountSuspendedException"})) is kind
