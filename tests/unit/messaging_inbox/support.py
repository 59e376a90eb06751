"""Fake ports with the contacts ``ann`` and ``bob`` (each with an app inbox id) and an ``appinbox`` template, and
a send of it, for the app inbox tests."""

from __future__ import annotations

from typing import Any

from chalicelib.contacts.models import ContactIn
from chalicelib.messaging.outbound import Message
from chalicelib.messaging.templates import TemplateIn
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.messaging.send import SendRequest, send
from chalicelib.settings import Settings
from tests.fakes import fake_ports

BASE = "https://orbit.example/api"
CONTENT = {
    "title": "Hi {{ contact.firstName }}",
    "body": "Your coupon: SAVE10",
    "image": "https://shop.example/coupon.png",
    "link": "https://shop.example/cart",
    "expiresInDays": 7,
}


def wired(settings: Settings | None = None, **content: Any) -> Ports:
    ports = fake_ports(settings=settings or Settings(link_secret="inbox-test-secret"))
    for name in ("ann", "bob"):
        profile = {"firstName": name.title(), "channels": [{"type": "appinbox", "value": f"{name}-app"}]}
        contacts.upsert(ports, name, ContactIn.model_validate(profile))
    templates.create(ports, TemplateIn(id="coupon", name="coupon", channel="appinbox", content={**CONTENT, **content}))
    return ports


def deliver(ports: Ports, to: str = "ann", origin: str = "api:r-1") -> Message:
    """Send the ``coupon`` template to ``to``'s inbox; the message as sent."""
    return send(
        ports, SendRequest(contact_key=f"x#{to}", template_id="coupon", origin=origin, transactional=True)
    ).message
