"""The edge of ingestion: validate what clients send, fill ids and times, queue it, answer 202.

Bad items are rejected one by one (index + errors) and never block good ones; nothing is queued
for a rejected item. A batch whose every item is rejected is a bad request: ``InvalidInput`` (400) with
each item's errors as details (``all_rejected``), so a client that only checks the status sees it.

Time (``docs/tracking.md``, Time): the models turn every time into UTC and refuse those before
``OLDEST_TIMESTAMP``; past events are welcome. A time more than ``max_future_skew_seconds`` ahead of the
receive time is rejected on the server API (``/v1/events``, ``/v1/orders``: the server's clock is the
caller's to fix) and dated its receive time on the tracking API (browsers' clocks are often wrong; the
claimed time stays in ``context.clientTimestamp``).

Event ids: an item's ``eventId``, else one derived from its content (``event_id``), so a client that
retries a timed-out request stores nothing twice (the consumer's conditional put dedupes on the id).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.events.models import (
    MAX_EVENT_BYTES,
    UNTIMED_WINDOW,
    Event,
    EventIn,
    EventsAccepted,
    Rejected,
    content_id,
    encoded_size,
)
from chalicelib.identity.commands import AliasCommand, IdentifyCommand
from chalicelib.messages import AliasMsg, EventMsg, IdentifyMsg, OrderMsg, QueueMessage, pack
from chalicelib.orders.models import OrderIn
from chalicelib.ports import Ports
from chalicelib.tracking.mapping import clamp_future
from chalicelib.validation import details_from

Output = Event | IdentifyCommand | AliasCommand
ORDER_TIMES = ("date", "updatedAt")  # an order's client times, each held to the future allowance


def future_allowance(ports: Ports) -> timedelta:
    """How far ahead of the receive time a client's clock may be (``max_future_skew_seconds``)."""
    return timedelta(seconds=ports.settings.max_future_skew_seconds)


def too_far_ahead(ts: datetime, now: datetime, ports: Ports) -> bool:
    return ts > now + future_allowance(ports)


def _too_far_ahead_error(path: str, now: datetime, ports: Ports) -> dict[str, str]:
    allowance = ports.settings.max_future_skew_seconds
    message = f"is more than {allowance} seconds ahead of the time it was received ({iso(now)})"
    return {"path": path, "message": message}


def _check_item(raw: Any, index: int) -> list[dict[str, str]]:
    if not isinstance(raw, dict):
        return [{"path": f"events[{index}]", "message": "must be an object"}]
    if encoded_size(raw) > MAX_EVENT_BYTES:
        return [{"path": f"events[{index}]", "message": f"is larger than {MAX_EVENT_BYTES // 1024} KB"}]
    return []


def window_start(now: datetime, window: timedelta = UNTIMED_WINDOW) -> datetime:
    """The start of the ``window``-long UTC interval ``now`` falls in."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (now - epoch) // window * window


def event_id(item: EventIn, now: datetime, copies: Counter[str] | None = None) -> str:
    """``item.eventId``, else ``evt-`` + the content id of its type, identity, properties and time: its own
    ``timestamp`` (exact, whenever the retry comes), else the start of the receive-time window (``UNTIMED_WINDOW``).

    ``copies`` counts the derived ids already given in the same request: a request that repeats an identical
    item sends it that many times on purpose, so the k-th copy (from 0) gets ``copy: k`` in its content, and
    a resend of the whole request derives the same ids again."""
    if item.eventId:
        return item.eventId
    content: dict[str, Any] = {
        "type": item.type,
        "identity": item.identity().model_dump(exclude_none=True),
        "properties": item.properties,
    }
    if item.timestamp is not None:
        content["timestamp"] = item.timestamp.astimezone(UTC).isoformat()
    else:
        content["receivedWindow"] = window_start(now).isoformat()
    derived = content_id("evt-", content)
    if copies is None:
        return derived
    copy = copies[derived]
    copies[derived] += 1
    return derived if copy == 0 else content_id("evt-", {**content, "copy": copy})


def all_rejected(what: str, rejected: list[Rejected]) -> InvalidInput:
    """The 400 for a batch of ``what`` (``"event"``) where nothing was accepted: every item's errors, their
    paths naming the item (``events[2].type``)."""
    details = [ErrorDetail(e.get("path", "$"), e.get("message", "")) for r in rejected for e in r.errors]
    return InvalidInput(f"Every {what} was rejected; nothing was accepted", details)


def _item_path(prefix: str, path: str) -> str:
    return prefix if path in ("", "$") else f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def accept_events(ports: Ports, items: list[Any]) -> EventsAccepted:
    now = ports.clock.now()
    messages: list[QueueMessage] = []
    rejected: list[Rejected] = []
    copies: Counter[str] = Counter()
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
                    errors = [_too_far_ahead_error(f"events[{index}].timestamp", now, ports)]
                else:
                    event = Event(
                        eventId=event_id(item, now, copies),
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
    if rejected and not messages:
        raise all_rejected("event", rejected)
    if messages:
        ports.publisher.publish(pack(messages))
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
        ahead = [
            _too_far_ahead_error(f"orders[{index}].{field}", now, ports)
            for field in ORDER_TIMES
            if isinstance(at := getattr(order, field, None), datetime) and too_far_ahead(at, now, ports)
        ]
        if ahead:
            rejected.append(Rejected(index=index, errors=ahead))
            continue
        body = order.model_dump(mode="json", exclude_none=True)
        messages.append(OrderMsg(order=body, receivedAt=now.isoformat()))
    if rejected and not messages:
        raise all_rejected("order", rejected)
    if messages:
        ports.publisher.publish(messages)
    return EventsAccepted(accepted=len(messages), rejected=rejected)


def accept_tracked(ports: Ports, outputs: list[Output], rejected: list[dict[str, Any]] | None = None) -> int:
    """Queue what the tracking mapper produced (events, identify and alias commands), each dated no later
    than its receive time plus the allowance (``clamp_future``).

    ``rejected`` are a ``/v1/batch``'s refused calls (``{"index", "errors"}``, paths inside the call): when
    there are some and nothing to queue, InvalidInput names each one's errors under ``batch[<index>]``."""
    if rejected and not outputs:
        items = [
            Rejected(
                index=r["index"],
                errors=[
                    {"path": _item_path(f"batch[{r['index']}]", e.get("path", "$")), "message": e.get("message", "")}
                    for e in r["errors"]
                ],
            )
            for r in rejected
        ]
        raise all_rejected("call", items)
    now = ports.clock.now()
    allowance = future_allowance(ports)
    messages: list[QueueMessage] = []
    for out in outputs:
        out = clamp_future(out, now, allowance)
        if isinstance(out, Event):
            messages.append(EventMsg(event=out))
        elif isinstance(out, IdentifyCommand):
            messages.append(IdentifyMsg(command=out))
        else:
            messages.append(AliasMsg(command=out))
    if messages:
        ports.publisher.publish(pack(messages))
    return len(messages)
