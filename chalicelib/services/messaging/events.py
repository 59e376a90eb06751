"""A message's events on its contact: ``Message Sent``, ``Delivered``, ``Failed``, ``Opened``, ``Clicked`` and
``Unsubscribed`` (the names segment conditions read: ``segments/rules.py`` ``MESSAGE_EVENTS``), with the
``channel``, ``messageId`` and ``templateId`` (and, for a journey's message, ``workflowId`` and ``workflowBlock``).

They go onto the events stream like any other event, so they are stored in the contact's activity and counted by
segments. Each has an id made from the message and what happened (``content_id``) and the time the message
recorded for it, so publishing it again (a retry after a crash) stores nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.contacts import keys
from chalicelib.events.models import Event, Identity, content_id
from chalicelib.messages import EventMsg
from chalicelib.messaging.outbound import Message
from chalicelib.ports import Ports

SENT = "Message Sent"
DELIVERED = "Message Delivered"
FAILED = "Message Failed"
OPENED = "Message Opened"
CLICKED = "Message Clicked"
UNSUBSCRIBED = "Message Unsubscribed"
SOURCE = "messages"
WORKFLOW_ORIGIN = "wf:"


def publish(ports: Ports, message: Message, kind: str, at: str, act: str = "", **extra: Any) -> None:
    """Queue ``kind`` about ``message`` on its contact, dated ``at``; ``act`` tells apart several events of one
    kind on one message (each link's first click)."""
    external_id = keys.external_id(message.contact_key)
    if external_id is None:  # messages go to known contacts only
        return
    properties = {"channel": message.channel, "messageId": message.id, "templateId": message.template_id, **extra}
    if message.origin.startswith(WORKFLOW_ORIGIN):  # "wf:<workflow id>:<execution>", step "<seq>:<block>"
        properties["workflowId"] = message.origin.split(":")[1]
        properties["workflowBlock"] = message.step.partition(":")[2]
    event = Event(
        eventId=content_id("msg-", {"message": message.id, "type": kind, "act": act}),
        type=kind,
        identity=Identity(externalId=external_id),
        timestamp=datetime.fromisoformat(at),
        receivedAt=ports.clock.now(),
        properties={k: v for k, v in properties.items() if v is not None},
        source=SOURCE,
    )
    ports.publisher.publish([EventMsg(event=event)])
