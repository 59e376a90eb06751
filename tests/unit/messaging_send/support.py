"""Fake ports with a contact and templates, the sends and what they published, for the sending tests."""

from __future__ import annotations

from typing import Any

from chalicelib.contacts.models import ContactIn
from chalicelib.events.models import Event
from chalicelib.messages import EventMsg
from chalicelib.messaging.outbound import Message, Outgoing, SendResult
from chalicelib.messaging.templates import TemplateIn
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.messaging.send import SendRequest, Sent, send
from chalicelib.settings import Settings
from tests.fakes import FakePublisher, fake_ports

BASE = "https://orbit.example/api"
SHOP_HTML = (
    "<html><head><style>p { color: #333 }</style></head><body>"
    "<p>Hello {{ contact.firstName }}</p>"
    '<p><a href="https://shop.example/sale?utm=mail&amp;x=1">Sale</a> <a href="mailto:help@shop.example">Help</a>'
    ' <a href="#top">Top</a></p></body></html>'
)


def email_template(template_id: str = "welcome", **content: Any) -> TemplateIn:
    body = {"from": "Shop <shop@example.com>", "subject": "Hi {{ contact.firstName }}", "html": SHOP_HTML, **content}
    return TemplateIn(id=template_id, name=template_id, channel="email", content=body)


def wired(settings: Settings | None = None, **profile: Any) -> Ports:
    """Fake ports holding the contact ``ann`` (``profile`` as given, else an email and a name) and the templates
    ``welcome`` (email) and ``code`` (SMS)."""
    ports = fake_ports(settings=settings)
    contacts.upsert(ports, "ann", ContactIn.model_validate(profile or {"email": "ann@example.com", "firstName": "Ann"}))
    templates.create(ports, email_template())
    templates.create(ports, TemplateIn(id="code", name="code", channel="sms", content={"text": "Code {{ vars.code }}"}))
    return ports


def request(template_id: str = "welcome", origin: str = "api:r-1", **kwargs: Any) -> SendRequest:
    return SendRequest(contact_key="x#ann", template_id=template_id, origin=origin, base_url=BASE, **kwargs)


def sent(ports: Ports, template_id: str = "welcome", **kwargs: Any) -> Sent:
    return send(ports, request(template_id, **kwargs))


def published(ports: Ports) -> list[Event]:
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    return [m.event for m in publisher.messages("events") if isinstance(m, EventMsg)]


def kinds(ports: Ports) -> list[str]:
    return [e.type for e in published(ports)]


def stored(ports: Ports, message: Message) -> Message:
    found = ports.messages.message(message.id)
    assert found is not None
    return found


class ScriptedSender:
    """A sender that answers from a script: each call takes the next outcome (a SendResult to return, an
    exception to raise); every message it was handed is kept."""

    name = "scripted"

    def __init__(self, *outcomes: SendResult | Exception, idempotent: bool = False) -> None:
        self.outcomes = list(outcomes)
        self.idempotent = idempotent
        self.handed: list[Outgoing] = []

    def send(self, message: Outgoing) -> SendResult:
        self.handed.append(message)
        outcome = self.outcomes.pop(0) if self.outcomes else SendResult("scripted", f"p-{len(self.handed)}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class OneSender:
    """``Senders`` with one sender for every channel."""

    def __init__(self, sender: Any) -> None:
        self.one = sender

    def sender(self, channel: str) -> Any:
        return self.one

    def providers(self) -> dict[str, str]:
        return {"email": self.one.name}
