"""The edge of ingestion: validate what clients send, fill ids and times, queue it, answer 202.

Bad items are rejected one by one (index + errors) and never block good ones; nothing is queued
for a rejected item. Times far in the future are rejected; past events are welcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.events.models import (
    MAX_EVENT_BYTES,
    Event,
    EventIn,
    EventsAccepted,
    Rejected,
    encoded_size,
)
from chalicelib.identity.commands import AliasCommand, IdentifyCommand
from chalicelib.messages import AliasMsg, EventMsg, IdentifyMsg, OrderMsg, QueueMessage
from chalicelib.orders.models import OrderIn
from chalicelib.ports import Ports
from chalicelib.validation import details_from

Output = Event | IdentifyCommand | AliasCommand


def too_far_ahead(ts: datetime, now: datetime, ports: Ports) -> bool:
    return ts > now + timedelta(seconds=ports.settings.max_future_skew_seconds)


def _check_item(raw: Any, index: int) -> list[dict[str, str]]:
    if not isinstance(raw, dict):
        return [{"path": f"events[{index}]", "message": "must be an object"}]
    if encoded_size(raw) > MAX_EVENT_BYTES:
        return [{"path": f"events[{index}]", "message": f"is larger than {MAX_EVENT_BYTES // 1024} KB"}]
    return []


def accept_events(ports: Ports, items: list[Any]) -> EventsAccepted:
    now = ports.clock.now()
    messages: list[QueueMessage] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(items):
        errors = _check_item(raw, index)
        if not errors:
            try:
                item = EventIn.model_validate(raw)
            except ValidationError as exc:
                errors = [d.as_dict() for d in details_from(exc, f"events[{index}]")]
            else:
                ts = item.timestamp or now
                if too_far_ahead(ts, now, ports):
                    errors = [{"path": f"events[{index}].timestamp", "message": "is too far in the future"}]
                else:
                    event = Event(
                        eventId=item.eventId or uuid.uuid4().hex,
                        type=item.type,
                        identity=item.identity(),
                        timestamp=ts,
                        receivedAt=now,
                        properties=item.properties,
                        source="api",
                    )
                    messages.append(EventMsg(event=event))
        if errors:
            rejected.append(Rejected(index=index, errors=errors))
    if messages:
        ports.publisher.publish(messages)
    return EventsAccepted(accepted=len(messages), rejected=rejected)


def accept_orders(ports: Ports, items: list[Any]) -> EventsAccepted:
    now = ports.clock.now()
    messages: list[QueueMessage] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(items):
        try:
            order = OrderIn.model_validate(raw)
        except ValidationError as exc:
            errors = [d.as_dict() for d in details_from(exc, f"orders[{index}]")]
            rejected.append(Rejected(index=index, errors=errors))
            continue
        if too_far_ahead(order.date, now, ports):
            rejected.append(
                Rejected(
                    index=index,
                    errors=[{"path": f"orders[{index}].date", "message": "is too far in the future"}],
                )
            )
            continue
        body = order.model_dump(mode="json", exclude_none=True)
        messages.append(OrderMsg(order=body, receivedAt=now.isoformat()))
    if messages:
        ports.publisher.publish(messages)
    return EventsAccepted(accepted=len(messages), rejected=rejected)


def accept_tracked(ports: Ports, outputs: list[Output]) -> int:
    """Queue what the tracking mapper produced (events, identify and alias commands)."""
    now = ports.clock.now()
    messages: list[QueueMessage] = []
    for out in outputs:
        if isinstance(out, Event):
            if too_far_ahead(out.timestamp, now, ports):
                out = out.model_copy(update={"timestamp": now})
            messages.append(EventMsg(event=out))
        elif isinstance(out, IdentifyCommand):
            messages.append(IdentifyMsg(command=out))
        else:
            messages.append(AliasMsg(command=out))
    if messages:
        ports.publisher.publish(messages)
    return len(messages)
