"""Test sends of a template (``POST /v1/templates/{id}/test``): the template rendered as its preview renders it
(for a stored contact and/or sample data), handed to the channel's configured sender, and marked a test.

* Marked: an email's subject starts ``[Test] ``; the message record's ``origin`` is ``test``, so it is in no
  campaign's or workflow's report, and no event is published (it is not in the contact's activity).
* Every call is a new send: no ledger claim, no frequency caps, no send hours.
* Links are not tracked and an email gets no unsubscribe link: clicking through a test records nothing and
  unsubscribes no one.
* To ``to`` (an address the operator gives: their own inbox or phone) it goes regardless of consent; to a stored
  contact (``externalId``) only as a real send would, consent and reachability checked.
* At most ``PER_MINUTE`` test sends a minute per template, counted by the shared ``RateLimiter``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, InvalidInput, OrbitError, Permanent, Retryable
from chalicelib.messaging import consent
from chalicelib.messaging.context import RenderContext
from chalicelib.messaging.ledger import LedgerKey
from chalicelib.messaging.outbound import CHANNELS, FAILED, REFUSED, SENDING, SENT, Message, Outgoing, new_message_id
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.templates import TemplatePreviewIn
from chalicelib.validation import LanguageCode, normalize_email, normalize_phone

TEST = "test"  # the origin of test sends
SUBJECT_PREFIX = "[Test] "
PER_MINUTE = 10  # test sends a minute per template
_IDENTIFIER = re.compile(r"^\S{1,512}$")


class TrialIn(BaseModel):
    """``POST /v1/templates/{id}/test``: to a stored contact (``externalId``) or an address (``to``), rendered with
    ``sample`` data like the preview."""

    model_config = ConfigDict(extra="forbid")

    externalId: str | None = Field(default=None, min_length=1, max_length=200, description="A stored contact")
    to: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="An email address (email), an E.164 phone number (sms, viber) or the channel's identifier "
        "(a Telegram chat id, a mobile push token); not for webpush",
    )
    sample: RenderContext | None = Field(default=None, description="As the preview's `sample`")
    language: LanguageCode | None = Field(default=None, description="The version to send (absent: as a send picks)")

    @model_validator(mode="after")
    def _one_recipient(self) -> TrialIn:
        if (self.externalId is None) == (self.to is None):
            raise ValueError("give externalId or to (one of them)")
        if self.externalId is not None and self.sample is not None and "contact" in self.sample.model_fields_set:
            raise ValueError("give the contact as externalId or as sample.contact, not both")
        return self


class TooManyTests(OrbitError):
    """More test sends of one template in a minute than ``PER_MINUTE``."""

    status, code = 429, "too_many_requests"


@dataclass(frozen=True)
class Trial:
    message: Message
    to: dict[str, Any]


def send_test(ports: Ports, template_id: str, body: TrialIn) -> Trial:
    """Render and send one test message (see the module doc). NotFound: no such template or contact; InvalidInput:
    a ``to`` that is no address on the channel, or a contact the message may not go to; RenderFailed; Permanent:
    the channel has no sender on this stage; TooManyTests; Retryable: the provider did not take it."""
    template = templates.get(ports, template_id)
    if template.channel not in CHANNELS:
        raise InvalidInput(
            f"A {template.channel} template is shown by orbit.js, not sent",
            [ErrorDetail("templateId", f"is a {template.channel} template")],
        )
    contact_key, to = _recipient(ports, template.channel, body)
    now = ports.clock.now()
    if not ports.rates.take(f"{TEST}:{template.id}", int(now.timestamp()) // 60 * 60, PER_MINUTE):
        raise TooManyTests(f"At most {PER_MINUTE} test sends a minute per template; try again in a minute")
    sample = body.sample if body.sample is not None or body.externalId is not None else RenderContext()
    shown = templates.preview(
        ports, template.id, TemplatePreviewIn(externalId=body.externalId, sample=sample, language=body.language)
    )
    sender = ports.senders.sender(template.channel)
    content = dict(shown.content)
    if template.channel == "email":
        content["subject"] = SUBJECT_PREFIX + str(content.get("subject") or "")
    message_id = new_message_id(int(now.timestamp() * 1000))
    at = iso(now)
    message = ports.messages.create_message(
        Message(
            id=message_id,
            ledger_key=LedgerKey(TEST, message_id, contact_key, template.channel).digest,
            origin=TEST,
            step=message_id,
            contact_key=contact_key,
            channel=template.channel,
            template_id=template.id,
            transactional=False,
            status=SENDING,
            created_at=at,
            updated_at=at,
            language=shown.language,
            sending_at=at,
            attempts=1,
        )
    )
    outgoing = Outgoing(
        message_id=message_id,
        channel=template.channel,
        contact_key=contact_key,
        template_id=template.id,
        to=to,
        content=content,
        language=shown.language,
        created_at=at,
    )
    try:
        result = sender.send(outgoing)
    except Retryable as exc:
        _end(ports, message, {"status": FAILED, "failure": REFUSED, "reason": f"not taken: {exc.message}"})
        raise
    except Permanent as exc:
        return Trial(_end(ports, message, {"status": FAILED, "failure": REFUSED, "reason": exc.message}), to)
    changes = {"status": SENT, "provider": result.provider, "provider_id": result.provider_id, "sent_at": at}
    return Trial(_end(ports, message, changes), to)


def _end(ports: Ports, message: Message, changes: dict[str, Any]) -> Message:
    return ports.messages.update_message(message.id, SENDING, {**changes, "updated_at": iso(ports.clock.now())})


def _recipient(ports: Ports, channel: str, body: TrialIn) -> tuple[str, dict[str, Any]]:
    """The contact key (empty for an address) and where the message goes."""
    if body.externalId is not None:
        record = contacts.get(ports, body.externalId)
        decision = consent.check(record.profile, record.channels, channel, False)
        if not decision.allowed:
            raise InvalidInput(
                "The contact cannot get this message", [ErrorDetail("externalId", decision.reason or "refused")]
            )
        return record.key, consent.address(record.profile, record.channels, channel) or {}
    given = str(body.to).strip()
    try:
        if channel == "email":
            return "", {"email": normalize_email(given)}
        if channel in ("sms", "viber"):
            return "", {"phone": normalize_phone(given)}
    except ValueError as exc:
        raise InvalidInput("to is invalid", [ErrorDetail("to", str(exc))]) from exc
    if channel == "webpush" or not _IDENTIFIER.match(given):
        reason = "webpush tests go to a stored contact (externalId)" if channel == "webpush" else "is not an id"
        raise InvalidInput("to is invalid", [ErrorDetail("to", reason)])
    return "", {"type": channel, "value": given}
