"""Journeys on in-memory ports: the segments test world plus workflows published onto fake Step Functions, the
journeys listener subscribed, and the task function called as the state machine would call it (the real
interpreter runs in tests/workflows on moto)."""

from __future__ import annotations

import dataclasses
from typing import Any

from chalicelib.contacts import keys
from chalicelib.messaging.templates import TemplateIn
from chalicelib.services import templates
from chalicelib.services.workflows import definitions, listener, tasks
from chalicelib.services.workflows.published import PUBLISHED
from chalicelib.workflows.journeys import Journey
from tests.fakes.machines import FakeMachines
from tests.unit.segments.world import World
from tests.unit.workflows.examples import TASK_ARN


def email_template(template_id: str, tags: tuple[str, ...] = ()) -> TemplateIn:
    return TemplateIn.model_validate(
        {
            "id": template_id,
            "name": template_id,
            "channel": "email",
            "tags": list(tags),
            "content": {
                "from": "Shop <shop@example.com>",
                "subject": "Hi {{ contact.firstName }} ({{ event.cart_id }})",
                "html": "<p>{{ template_id }}</p>",
            },
        }
    )


class JourneyWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.ports.settings = self.ports.settings.model_copy(
            update={"workflow_task_arn": TASK_ARN, "public_url": "https://orbit.example.com"}
        )
        self.ports.changes.subscribe(listener.listener(self.ports), critical=True)
        PUBLISHED.invalidate()

    @property
    def machines(self) -> FakeMachines:
        assert isinstance(self.ports.machines, FakeMachines)
        return self.ports.machines

    def template(self, template_id: str, *tags: str) -> None:
        templates.create(self.ports, email_template(template_id, tags))

    def publish(self, workflow: dict[str, Any]) -> str:
        record = definitions.create(self.ports, workflow)
        definitions.publish(self.ports, record.id)
        return record.id

    def journey(self, workflow_id: str, external_id: str) -> Journey:
        found = self.ports.journeys.journey(workflow_id, keys.known(external_id))
        assert found is not None
        return found

    def input_of(self, journey: Journey) -> dict[str, Any]:
        """The execution input the journey's start handed to Step Functions."""
        execution = next(e for e in self.machines.executions.values() if e.name == journey.execution)
        return execution.payload

    def run(self, journey: Journey, start: str, step: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call the task function's ``run`` as the ``Run <start>`` state would."""
        payload = self.input_of(journey)
        event = {
            "action": "run",
            "workflow": journey.workflow_id,
            "revision": journey.revision,
            "from": start,
            "journey": payload["journey"],
            "step": step if step is not None else payload["step"],
        }
        answer = tasks.handle(self.ports, event)
        self.drain()
        return answer

    def park(self, journey: Journey, block: str, step: dict[str, Any], token: str) -> None:
        payload = self.input_of(journey)
        tasks.handle(
            self.ports,
            {
                "action": "park",
                "workflow": journey.workflow_id,
                "revision": journey.revision,
                "block": block,
                "token": token,
                "journey": payload["journey"],
                "step": step,
            },
        )
        self.machines.park(token)

    def outbox(self, external_id: str) -> list[Any]:
        items, _ = self.ports.messages.outbox(100, contact_key=keys.known(external_id))
        return items


def replaced(step: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**step, **changes}


__all__ = ["JourneyWorld", "dataclasses", "replaced"]
