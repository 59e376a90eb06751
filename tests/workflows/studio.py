"""Journeys end to end on moto: the real compiled States Language on moto's interpreter, calling the app's real
``workflow_task`` function in this process, with events going through the real queues and consumer, under
accelerated time (``time_scale``: a day of journey time is a second or less)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib import deps
from chalicelib.contacts import keys
from chalicelib.contacts.changes import ContactChanges
from chalicelib.contacts.models import ContactIn
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.workflows import definitions
from chalicelib.services.workflows.published import PUBLISHED
from chalicelib.workflows.journeys import Journey
from tests.conftest import Api, StepFunctions
from tests.unit.workflows.journeys_world import email_template
from tests.workflows.conftest import ENDED

_ids = iter(range(10**9))


@dataclasses.dataclass
class Studio:
    ports: Ports
    queues: Api

    def template(self, template_id: str, *tags: str) -> None:
        templates.create(self.ports, email_template(template_id, tags))

    def contact(self, external_id: str) -> None:
        contacts.upsert(self.ports, external_id, ContactIn(email=f"{external_id}@example.com", firstName="Ann"))
        self.drain()

    def publish(self, workflow: dict[str, Any]) -> str:
        record = definitions.create(self.ports, workflow)
        definitions.publish(self.ports, record.id)
        return record.id

    def event(self, external_id: str, type_: str, **properties: Any) -> None:
        now = datetime.now().astimezone()
        event = Event(
            eventId=f"ev-{next(_ids)}",
            type=type_,
            identity=Identity(externalId=external_id),
            timestamp=self.ports.clock.now(),
            receivedAt=now,
            properties=properties,
        )
        self.ports.publisher.publish([EventMsg(event=event)])
        self.drain()

    def drain(self) -> None:
        self.queues.drain()

    def journey(self, workflow_id: str, external_id: str) -> Journey:
        found = self.ports.journeys.journey(workflow_id, keys.known(external_id))
        assert found is not None, f"{external_id} has no journey in {workflow_id}"
        return found

    def wait_until(self, check: Any, timeout: float = 30.0, what: str = "the condition") -> Any:
        """Poll ``check`` (draining the queues between tries) until it answers something true."""
        deadline = time.monotonic() + timeout
        while True:
            self.drain()
            answer = check()
            if answer:
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout} s")
            time.sleep(0.05)

    def ended(self, workflow_id: str, external_id: str, timeout: float = 30.0) -> str:
        """The final status of the contact's execution, once it ended (the queues drained meanwhile)."""

        def status() -> str | None:
            arn = self.journey(workflow_id, external_id).execution_arn
            found = self.ports.machines.status(arn) if arn else None
            return found if found in ENDED else None

        return str(self.wait_until(status, timeout, f"{external_id}'s journey ending"))

    def outbox(self, external_id: str) -> list[Any]:
        items, _ = self.ports.messages.outbox(100, contact_key=keys.known(external_id))
        return items

    def subjects(self, external_id: str) -> list[str]:
        return sorted(item.message.template_id for item in self.outbox(external_id))


@pytest.fixture
def studio(step_functions: StepFunctions, atomic_requests: None) -> Iterator[Studio]:
    settings = step_functions.ports.settings.model_copy(
        update={"time_scale": 86400.0, "public_url": "https://orbit.example.com"}
    )
    ports = dataclasses.replace(step_functions.ports, settings=settings, changes=ContactChanges())
    deps.subscribe_engines(ports)
    deps.pin(ports)
    PUBLISHED.invalidate()
    yield Studio(ports, Api(client=None, stores=ports))
    PUBLISHED.invalidate()
