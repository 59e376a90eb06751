"""The edge of ingestion: validate what clients send, fill ids and times, queue it, answer 202.

Bad items are rejected one by one (index + errors) and never block good ones; nothing is queued
for a rejected item. Times far in the future are rejected; past events are welcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.deps import Stores
from chalicelib.events.models import (
    MAX_EVENT_BYTES,
    Event,
    EventIn,
    EventsAccepted,
    Rejected,
    encoded_size,
)
from chalicelib.identity.commands import AliasCommand, IdentifyCommand
from chalicelib.orders.models import OrderIn
from chalicelib.pipeline.messages import AliasMsg, EventMsg, IdentifyMsg, OrderMsg, dump
from chalicelib.validation import details_from

Output = Event | IdentifyCommand | AliasCommand


def too_far_ahead(ts: datetime, now: datetime, stores: Stores) -> bool:
    return ts > now + timedelta(seconds=stores.settings.max_future_skew_seconds)


def _check_item(raw: Any, index: int) -> list[dict[str, str]]:
    if not isinstance(raw, dict):
        return [{"path": f"events[{index}]", "message": "must be an object"}]
    if encoded_size(raw) > MAX_EVENT_BYTES:
        return [{"path": f"events[{index}]", "message": f"is larger than {MAX_EVENT_BYTES // 1024} KB"}]
    return []


def accept_events(stores: Stores, items: list[Any]) -> EventsAccepted:
    now = stores.clock.now()
    messages, rejected = [], []
    for index, raw in enumerate(items):
        errors = _check_item(raw, index)
        if not errors:
            try:
                item = EventIn.model_validate(raw)
            except ValidationError as exc:
                errors = [d.as_dict() for d in details_from(exc, f"events[{index}]")]
            else:
                ts = item.timestamp or now
                if too_far_ahead(ts, now, stores):
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
                    messages.append(dump(EventMsg(event=event)))
        if errors:
            rejected.append(Rejected(index=index, errors=errors))
    if messages:
        stores.queue.send(messages)
    return EventsAccepted(accepted=len(messages), rejected=rejected)


def accept_orders(stores: Stores, items: list[Any]) -> EventsAccepted:
    now = stores.clock.now()
    messages, rejected = [], []
    for index, raw in enumerate(items):
        try:
            order = OrderIn.model_validate(raw)
        except ValidationError as exc:
            errors = [d.as_dict() for d in details_from(exc, f"orders[{index}]")]
            rejected.append(Rejected(index=index, errors=errors))
            continue
        if too_far_ahead(order.date, now, stores):
            rejected.append(
                Rejected(
                    index=index,
                    errors=[{"path": f"orders[{index}].date", "message": "is too far in the future"}],
                )
            )
            continue
        body = order.model_dump(mode="json", exclude_none=True)
        messages.append(dump(OrderMsg(order=body, receivedAt=now.isoformat())))
    if messages:
        stores.queue.send(messages)
    return EventsAccepted(accepted=len(messages), rejected=rejected)


def accept_tracked(stores: Stores, outputs: list[Output]) -> int:
    """Queue what the tracking mapper produced (events, identify and alias commands)."""
    now = stores.clock.now()
    messages: list[dict[str, Any]] = []
    for out in outputs:
        if isinstance(out, Event):
            if too_far_ahead(out.timestamp, now, stores):
                out = out.model_copy(update={"timestamp": now})
            messages.append(dump(EventMsg(event=out)))
        elif isinstance(out, IdentifyCommand):
            messages.append(dump(IdentifyMsg(command=out)))
        else:
            messages.append(dump(AliasMsg(command=out)))
    if messages:
        stores.queue.send(messages)
    return len(messages)
