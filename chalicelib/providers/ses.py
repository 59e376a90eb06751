"""Email through Amazon SES (the v2 ``SendEmail`` API).

The rendered email (``from``, ``replyTo``, ``subject``, ``html``, ``text``) and the send's headers
(``List-Unsubscribe``, ``List-Unsubscribe-Post``) go out as one MIME message (``Content.Raw``): SES's simple
content cannot carry the one-click unsubscribe headers on every SDK version. The message id is an
``X-Orbit-Message-Id`` header and an ``orbit-message`` tag, which the delivery notifications carry back;
``ORBIT_SES_CONFIGURATION_SET`` names the configuration set that publishes them.

SES does not dedupe by a client id, so the sender is not idempotent (an interrupted send is not repeated).
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers.base import ProviderSender

NAME = "ses"
# SES error codes that will not succeed on a retry (the address, the sender identity or the account is refused).
PERMANENT_CODES = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "BadRequestException",
    "NotFoundException",
    "InvalidParameterValue",
    "InvalidParameterException",
    "ValidationError",
    "AccessDeniedException",
    "AccessDenied",
    "AuthorizationError",
}


def aws_failure(exc: Exception, provider: str, permanent: set[str]) -> Exception:
    """The Retryable or Permanent a boto3 call's exception becomes: an error code in ``permanent`` is the
    provider's refusal (its message the reason); throttling, 5xx and transport failures are Retryable."""
    if isinstance(exc, Permanent | Retryable):  # already decided (a missing client, a credential)
        return exc
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):  # no answer: timeouts, connection errors
        return Retryable(f"{provider} could not be reached: {type(exc).__name__}")
    error = response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in permanent or (
        400 <= status < 500
        and status not in (408, 429)
        and "Throttl" not in code
        and "TooMany" not in code
        and "LimitExceeded" not in code
    ):
        return Permanent(f"{provider} refused it: {code}: {message}".rstrip(": "))
    return Retryable(f"{provider} did not take it: {code or status}")


def _address(value: str, field: str) -> str:
    name, address = parseaddr(value)
    if "@" not in address or any(c in value for c in "\r\n"):
        raise Permanent(f"The email's {field} {value!r} is not an address")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise Permanent(f"The email's {field} {value!r} is not an address") from exc
    return formataddr((name, address)) if name else address


def mime(message: Outgoing) -> bytes:
    """The MIME message SES gets for a rendered email."""
    content = message.content
    recipient = message.to.get("email")
    if not isinstance(recipient, str) or not recipient:
        raise Permanent("The message has no email address")
    mail = EmailMessage()
    mail["From"] = _address(str(content.get("from", "")), "from")
    mail["To"] = _address(recipient, "recipient")
    if content.get("replyTo"):
        mail["Reply-To"] = _address(str(content["replyTo"]), "replyTo")
    mail["Subject"] = str(content.get("subject", ""))
    mail["X-Orbit-Message-Id"] = message.message_id
    for name, value in message.headers.items():
        if any(c in name + value for c in "\r\n"):
            raise Permanent(f"The header {name} is not one line")
        mail[name] = value
    text, html = content.get("text"), content.get("html")
    mail.set_content(str(text or ""), subtype="plain", charset="utf-8")
    if html:
        mail.add_alternative(str(html), subtype="html", charset="utf-8")
    return mail.as_bytes()


class SesSender(ProviderSender):
    """``Sender`` for the email channel through SES v2."""

    name = NAME

    def send(self, message: Outgoing) -> SendResult:
        raw = mime(message)
        request: dict[str, Any] = {
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": "orbit-message", "Value": message.message_id}],
        }
        if self.settings.ses_configuration_set:
            request["ConfigurationSetName"] = self.settings.ses_configuration_set
        try:
            answer = self.clients("sesv2").send_email(**request)
        except Exception as exc:
            raise aws_failure(exc, NAME, PERMANENT_CODES) from None
        return SendResult(provider=NAME, provider_id=str(answer["MessageId"]))
