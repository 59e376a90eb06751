"""Building contacts, events and verdicts for the segment evaluation tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event, Identity
from chalicelib.segments.evaluate import Facts, Verdict, evaluate
from chalicelib.segments.rules import parse_condition

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def contact(
    profile: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    channels: list[dict[str, Any]] | None = None,
    aggs: dict[str, Any] | None = None,
) -> ContactRecord:
    rec = ContactRecord(
        key="x#c-1",
        profile=profile or {},
        fields=fields or {},
        channels=channels or [],
        version=1,
        created_at="2026-01-15T08:00:00.000Z",
        updated_at="2026-11-20T08:00:00.000Z",
    )
    if aggs is not None:
        rec.aggs = aggs
    return rec


def event(event_type: str, at: datetime, n: int = 0, **properties: Any) -> Event:
    return Event(
        eventId=f"{event_type}-{at.isoformat()}-{n}",
        type=event_type,
        identity=Identity(externalId="c-1"),
        timestamp=at,
        receivedAt=at,
        properties=properties,
    )


def history_of(events: Iterable[Event]) -> Any:
    stored = sorted(events, key=lambda e: e.timestamp)
    return lambda event_type, start: [e for e in stored if e.type == event_type and e.timestamp >= start]


def verdict(
    rule: dict[str, Any],
    record: ContactRecord | None = None,
    now: datetime = NOW,
    exclude: dict[str, Any] | None = None,
    events: Iterable[Event] | None = None,
    **facts: Any,
) -> Verdict:
    parsed = parse_condition(rule, "rule")
    excluded = parse_condition(exclude, "exclude") if exclude is not None else None
    history = history_of(events) if events is not None else facts.pop("history", None)
    return evaluate(parsed, excluded, Facts(record=record or contact(), now=now, history=history, **facts))


def holds(rule: dict[str, Any], record: ContactRecord | None = None, now: datetime = NOW, **facts: Any) -> bool:
    return verdict(rule, record, now, **facts).member
