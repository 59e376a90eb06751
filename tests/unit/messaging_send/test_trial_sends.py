"""Test sends of a template on fake ports: rendered as the preview renders, marked a test ("[Test] " subject,
origin ``test``, no events), a new send each call past caps, send hours and the ledger; consent checked for a
stored contact but not for a given address; at most ``PER_MINUTE`` a minute per template."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput, Permanent, Retryable
from chalicelib.messaging.outbound import FAILED, SENT, SendResult
from chalicelib.messaging.policies import Cap, Policies
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.messaging import trial
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.messaging.trial import TooManyTests, TrialIn
from chalicelib.services.templates import RenderFailed
from tests.fakes import FakeRateLimiter
from tests.unit.messaging_send.support import ScriptedSender, email_template, kinds, wired


def body(**given: Any) -> TrialIn:
    return TrialIn.model_validate(given)


def outbox(ports: Ports) -> list[dict[str, Any]]:
    return [{"to": i.message.to, **i.message.content} for i in ports.messages.outbox(100)[0]]


def test_a_test_to_an_address_renders_the_sample_and_marks_the_subject():
    ports = wired()
    found = trial.send_test(ports, "welcome", body(to="Me@Shop.example", sample={"contact": {"firstName": "Tess"}}))
    assert found.message.status == SENT and found.message.origin == "test" and found.message.contact_key == ""
    [item] = outbox(ports)
    assert item["to"] == {"email": "me@shop.example"}
    assert item["subject"] == "[Test] Hi Tess"
    assert "track" not in item["html"] and "/t/" not in item["html"]  # links as written: nothing recorded


def test_a_test_is_rendered_as_the_preview_renders_it():
    ports = wired()
    trial.send_test(ports, "code", body(to="+380501234567", sample={"vars": {"code": "4711"}}))
    [item] = outbox(ports)
    assert item == {"to": {"phone": "+380501234567"}, "text": "Code 4711"}


def test_each_call_is_a_new_send_and_publishes_no_event():
    ports = wired()
    first = trial.send_test(ports, "welcome", body(to="me@shop.example"))
    second = trial.send_test(ports, "welcome", body(to="me@shop.example"))
    assert first.message.id != second.message.id
    assert len(outbox(ports)) == 2
    assert kinds(ports) == []  # not in any contact's activity or report


def test_caps_and_send_hours_do_not_apply_to_tests():
    ports = dataclasses.replace(wired(), policies=Policies(caps={"email": Cap(daily=0)}, hours=(0, 1)))
    found = trial.send_test(ports, "welcome", body(externalId="ann"))  # NOW is 12:00 UTC
    assert found.message.status == SENT and found.to == {"email": "ann@example.com"}
    assert outbox(ports)[0]["subject"] == "[Test] Hi Ann"


def test_a_contact_that_unsubscribed_gets_no_test():
    ports = wired()
    set_consent(ports, "x#ann", "email", "unsubscribed", "api")
    with pytest.raises(InvalidInput) as caught:
        trial.send_test(ports, "welcome", body(externalId="ann"))
    assert [d.path for d in caught.value.details] == ["externalId"]
    assert outbox(ports) == []


def test_an_address_goes_regardless_of_a_contact_that_unsubscribed_it():
    ports = wired()
    set_consent(ports, "x#ann", "email", "unsubscribed", "api")
    assert trial.send_test(ports, "welcome", body(to="ann@example.com")).message.status == SENT


@pytest.mark.parametrize(("template", "to"), [("welcome", "not-an-address"), ("code", "0501234567")])
def test_a_to_that_is_no_address_on_the_channel_is_refused(template: str, to: str):
    with pytest.raises(InvalidInput) as caught:
        trial.send_test(wired(), template, body(to=to))
    assert [d.path for d in caught.value.details] == ["to"]


@pytest.mark.parametrize(
    "given",
    [{}, {"to": "me@shop.example", "externalId": "ann"}, {"externalId": "ann", "sample": {"contact": {}}}],
)
def test_one_recipient_is_given(given: dict[str, Any]):
    with pytest.raises(ValueError):
        TrialIn.model_validate(given)


def test_more_than_the_limit_a_minute_is_refused_until_the_next_minute():
    ports = wired()
    for _ in range(trial.PER_MINUTE):
        trial.send_test(ports, "welcome", body(to="me@shop.example"))
    with pytest.raises(TooManyTests):
        trial.send_test(ports, "welcome", body(to="me@shop.example"))
    trial.send_test(ports, "code", body(to="+380501234567"))  # per template
    ports.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert trial.send_test(ports, "welcome", body(to="me@shop.example")).message.status == SENT
    limiter = ports.rates
    assert isinstance(limiter, FakeRateLimiter)
    assert sorted(n for (name, _), n in limiter.windows.items() if name == "test:welcome") == [1, 10]


def test_a_template_that_does_not_render_sends_nothing():
    ports = wired()
    templates.create(ports, email_template("bare", subject="{{ vars.subject }}"))
    with pytest.raises(RenderFailed):
        trial.send_test(ports, "bare", body(to="me@shop.example"))  # the subject renders empty
    assert outbox(ports) == []


class Senders:
    def __init__(self, sender: ScriptedSender) -> None:
        self.scripted = sender

    def sender(self, channel: str) -> ScriptedSender:
        return self.scripted

    def providers(self) -> dict[str, str]:
        return {"email": "scripted"}


def test_a_refusal_ends_the_test_failed_with_the_reason():
    ports = dataclasses.replace(wired(), senders=Senders(ScriptedSender(Permanent("no such mailbox"))))
    found = trial.send_test(ports, "welcome", body(to="me@shop.example"))
    assert found.message.status == FAILED and found.message.reason == "no such mailbox"


def test_a_provider_that_did_not_take_it_fails_the_test_and_says_try_again():
    sender = ScriptedSender(Retryable("busy"), SendResult("scripted", "p-2"))
    ports = dataclasses.replace(wired(), senders=Senders(sender))
    with pytest.raises(Retryable):
        trial.send_test(ports, "welcome", body(to="me@shop.example"))
    assert trial.send_test(ports, "welcome", body(to="me@shop.example")).message.status == SENT
    assert sender.handed[0].content["subject"] == "[Test] Hi"


def test_a_contact_without_an_address_on_the_channel_gets_no_test():
    ports = wired()
    contacts.upsert(ports, "bob", ContactIn.model_validate({"firstName": "Bob"}))
    with pytest.raises(InvalidInput) as caught:
        trial.send_test(ports, "welcome", body(externalId="bob", sample={"vars": {"x": 1}}))
    assert [d.path for d in caught.value.details] == ["externalId"]
