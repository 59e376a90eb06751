"""SMS through Amazon SNS (``Publish`` to a phone number).

The rendered ``text`` goes to the contact's phone (E.164) as a ``Transactional`` SMS unless
``ORBIT_SNS_SMS_TYPE=Promotional``; ``ORBIT_SNS_SMS_SENDER_ID`` sets the sender id where the destination allows one.
SNS does not dedupe direct SMS publishes, so the sender is not idempotent.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.ses import aws_failure

NAME = "sns"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
PERMANENT_CODES = {
    "InvalidParameter",
    "InvalidParameterValue",
    "OptedOut",
    "EndpointDisabled",
    "AuthorizationError",
    "ValidationError",
    "NotFound",
}


def phone(message: Outgoing) -> str:
    """The recipient's number in E.164 (spaces, dashes and brackets dropped); Permanent when it is not one."""
    value = message.to.get("phone")
    number = re.sub(r"[\s\-().]", "", value) if isinstance(value, str) else ""
    if not E164.match(number):
        raise Permanent(f"The phone number {value!r} is not an E.164 number (+ and country code)")
    return number


class SnsSmsSender(ProviderSender):
    """``Sender`` for the sms channel through SNS."""

    name = NAME

    def send(self, message: Outgoing) -> SendResult:
        text = message.content.get("text")
        if not isinstance(text, str) or not text:
            raise Permanent("The SMS has no text")
        attributes: dict[str, Any] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self.settings.sns_sms_type or "Transactional"}
        }
        if self.settings.sns_sms_sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.settings.sns_sms_sender_id}
        number = phone(message)
        try:
            answer = self.clients("sns").publish(PhoneNumber=number, Message=text, MessageAttributes=attributes)
        except Exception as exc:
            raise aws_failure(exc, NAME, PERMANENT_CODES) from None
        return SendResult(provider=NAME, provider_id=str(answer["MessageId"]))
