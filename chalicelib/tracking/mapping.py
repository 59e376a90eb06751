"""Segment HTTP tracking API calls (track/page/screen/identify/alias, one or a ``/v1/batch``) -> Orbit events
and identity commands. Pure functions.

Ids: ``messageId`` becomes the event id / command ``messageId``. Without one, the id is
``"seg-" + sha256(canonical JSON of the call)`` (keys sorted, compact separators, transport-only keys
``sentAt``/``receivedAt``/``writeKey`` left out), so resending an identical call dedupes downstream.

Time (``docs/tracking.md``, Time): every time is converted to UTC (naive means UTC, ``validation.to_utc``). The
client time is ``timestamp``, else ``originalTimestamp``; when ``sentAt`` is known (on the call or the batch) clock
skew is corrected Segment-style: ``received_at - (sentAt - client time)``, never later than ``received_at``; no
client time means ``received_at``. The resulting time must be ``OLDEST_TIMESTAMP`` or later, else the call is
rejected naming the field (after the correction, so a browser whose clock was reset to 1970 still counts when it
sends ``sentAt``). A time too far ahead is the caller's to clamp (``clamp_future``): browsers' clocks are often
wrong, so the event is dated its receive time and keeps the claimed time in ``context.clientTimestamp``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.events.models import MAX_EVENT_BYTES, PAGE_VIEWED, Event, Identity, content_id, encoded_size
from chalicelib.identity.commands import AliasCommand, IdentifyCommand
from chalicelib.validation import TOO_OLD, EventTypeName, UtcDatetime, check_oldest, details_from, to_utc

MAX_BATCH_CALLS = 500
Output = Event | IdentifyCommand | AliasCommand
_TRANSPORT_KEYS = ("sentAt", "receivedAt", "writeKey")
_PAGE_FIELDS = ("url", "path", "title", "referrer", "search")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)
CLIENT_TIMESTAMP = "clientTimestamp"
"""The ``context`` key keeping the time a client claimed when the event was dated its receive time instead."""


class SegmentCall(BaseModel):
    """One Segment call as the HTTP tracking API receives it; unknown top-level fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["track", "identify", "page", "screen", "alias"]
    userId: str | None = Field(default=None, min_length=1, max_length=256)
    anonymousId: str | None = Field(default=None, min_length=1, max_length=128)
    previousId: str | None = Field(default=None, min_length=1, max_length=256)
    event: EventTypeName | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    messageId: str | None = Field(default=None, min_length=1, max_length=256)
    timestamp: UtcDatetime | None = None
    originalTimestamp: UtcDatetime | None = None
    sentAt: UtcDatetime | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    integrations: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type", mode="before")
    @classmethod
    def _no_group(cls, value: Any) -> Any:
        if value == "group":
            raise ValueError("group calls are not supported")
        return value

    @field_validator("userId", "anonymousId", "previousId", mode="before")
    @classmethod
    def _numeric_ids(cls, value: Any) -> Any:
        """Segment clients may send numeric user ids."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("properties", "traits", "context", "integrations", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


def _cross_field(raw: dict[str, Any]) -> list[ErrorDetail]:
    """Rules that span fields (who the call is about, what each type needs), checked on the raw call so
    they are reported together with per-field errors."""
    kind = raw.get("type")
    if kind == "alias":
        return [ErrorDetail(f, "is required for alias") for f in ("previousId", "userId") if not raw.get(f)]
    found = []
    if not (raw.get("userId") or raw.get("anonymousId")):
        found.append(ErrorDetail("userId", "userId or anonymousId is required"))
    if kind == "track" and not raw.get("event"):
        found.append(ErrorDetail("event", "is required for track"))
    return found


def message_id(call: dict[str, Any]) -> str:
    """The deterministic id of a call without ``messageId``: ``seg-`` + sha256 of its canonical JSON."""
    return content_id("seg-", {k: v for k, v in call.items() if k not in _TRANSPORT_KEYS})


def event_time(call: SegmentCall, received_at: datetime, sent_at: datetime | None = None) -> datetime:
    """When the call happened, corrected for client clock skew (see the module docstring); InvalidInput naming
    the client time's field when that is older than ``OLDEST_TIMESTAMP``."""
    received_at = to_utc(received_at)
    client = call.timestamp or call.originalTimestamp
    if client is None:
        return received_at
    field = "timestamp" if call.timestamp else "originalTimestamp"
    sent = call.sentAt or (to_utc(sent_at) if sent_at else None)
    try:
        if sent is None:
            return check_oldest(client)
        skew = sent - client
        if skew <= timedelta(0):
            return received_at
        try:
            corrected = received_at - skew
        except OverflowError:
            raise ValueError(TOO_OLD) from None
        return check_oldest(corrected)
    except ValueError as exc:
        note = " (after correcting the client's clock with sentAt)" if sent is not None else ""
        raise InvalidInput("The Segment call is invalid", [ErrorDetail(field, f"{exc}{note}")]) from exc


def clamp_future(output: Output, now: datetime, allowance: timedelta) -> Output:
    """``output`` dated its receive time when its time is more than ``allowance`` after ``now`` (a wrong browser
    clock); an event keeps the time its client claimed in ``context.clientTimestamp``, so nothing is lost."""
    if output.timestamp <= now + allowance:
        return output
    if isinstance(output, Event):
        claimed = {CLIENT_TIMESTAMP: output.timestamp.isoformat()}
        return output.model_copy(update={"timestamp": output.receivedAt, "context": {**output.context, **claimed}})
    return output.model_copy(update={"timestamp": to_utc(now)})


def map_call(call: dict[str, Any], *, received_at: datetime, sent_at: datetime | None = None) -> list[Output]:
    """Map one Segment call or raise InvalidInput naming each bad field; ``sent_at`` is a batch's sentAt."""
    return _map(call, to_utc(received_at), sent_at, None)


def map_batch(body: dict[str, Any], *, received_at: datetime) -> tuple[list[Output], list[dict[str, Any]]]:
    """Map a ``/v1/batch`` body; a bad call lands in ``rejected`` (``{"index", "errors"}``) and never blocks
    the others. Batch-level ``context`` is merged under each call's own context."""
    if not isinstance(body, dict):
        raise InvalidInput("The batch is invalid", [ErrorDetail("$", "must be an object")])
    calls = body.get("batch")
    problems = []
    if not isinstance(calls, list):
        problems.append(ErrorDetail("batch", "must be a list of calls"))
    elif len(calls) > MAX_BATCH_CALLS:
        problems.append(ErrorDetail("batch", f"must hold at most {MAX_BATCH_CALLS} calls"))
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        problems.append(ErrorDetail("context", "must be an object"))
    sent_at = None
    try:
        sent_at = _DATETIME.validate_python(body["sentAt"]) if body.get("sentAt") is not None else None
    except ValidationError as exc:
        problems.extend(details_from(exc, "sentAt"))
    if problems or not isinstance(calls, list):
        raise InvalidInput("The batch is invalid", problems)
    outputs: list[Output] = []
    rejected: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        try:
            if not isinstance(call, dict):
                raise InvalidInput("The Segment call is invalid", [ErrorDetail("$", "must be an object")])
            outputs.extend(_map(call, to_utc(received_at), sent_at, context))
        except InvalidInput as exc:
            rejected.append({"index": index, "errors": [d.as_dict() for d in exc.details]})
    return outputs, rejected


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _map(
    raw: dict[str, Any], received_at: datetime, sent_at: datetime | None, base_context: dict[str, Any] | None
) -> list[Output]:
    if encoded_size(raw) > MAX_EVENT_BYTES:
        raise InvalidInput(
            "The Segment call is invalid", [ErrorDetail("$", f"must be at most {MAX_EVENT_BYTES // 1024} KB")]
        )
    problems = _cross_field(raw)
    try:
        call = SegmentCall.model_validate(raw)
    except ValidationError as exc:
        seen = {p.path for p in problems}
        problems = [d for d in details_from(exc) if d.path not in seen] + problems
    if problems:
        raise InvalidInput("The Segment call is invalid", problems)
    if base_context:
        call = call.model_copy(update={"context": _merge(base_context, call.context)})
    msg_id = call.messageId or message_id(raw)
    when = event_time(call, received_at, sent_at)
    if call.type == "identify":
        return [_identify(call, msg_id, call.userId, call.traits, when)]
    if call.type == "alias":
        assert call.previousId and call.userId  # checked by _cross_field()
        return [AliasCommand(messageId=msg_id, previousId=call.previousId, externalId=call.userId, timestamp=when)]
    if call.type == "track":
        return [_track(call, msg_id, when, received_at)]
    return [_event(call, msg_id, PAGE_VIEWED, _page_properties(call), when, received_at)]


def _identify(
    call: SegmentCall, msg_id: str, external_id: str | None, traits: dict[str, Any], when: datetime
) -> IdentifyCommand:
    return IdentifyCommand(
        messageId=msg_id, externalId=external_id, anonymousId=call.anonymousId, traits=traits, timestamp=when
    )


def _track(call: SegmentCall, msg_id: str, when: datetime, received_at: datetime) -> Output:
    from chalicelib.tracking.esputnik import IDENTIFY, from_esputnik  # only track calls need the eS.js mapper

    assert call.event  # checked by _cross_field()
    mapped = from_esputnik(call.event, call.properties)
    if mapped is None:
        return _event(call, msg_id, call.event, dict(call.properties), when, received_at)
    canonical, properties = mapped
    if canonical == IDENTIFY:
        traits = dict(properties)
        external_id = traits.pop("externalId", None) or call.userId
        return _identify(call, msg_id, external_id, traits, when)
    return _event(call, msg_id, canonical, properties, when, received_at)


def _page_properties(call: SegmentCall) -> dict[str, Any]:
    properties = dict(call.properties)
    properties.update({k: v for k, v in (("name", call.name), ("category", call.category)) if v})
    page = call.context.get("page")
    if isinstance(page, dict):
        for key in _PAGE_FIELDS:
            if key not in properties and page.get(key) is not None:
                properties[key] = page[key]
    return properties


def _event(
    call: SegmentCall,
    msg_id: str,
    type_: str,
    properties: dict[str, Any],
    when: datetime,
    received_at: datetime,
) -> Event:
    return Event(
        eventId=msg_id,
        type=type_,
        identity=Identity(externalId=call.userId, anonymousId=call.anonymousId),
        timestamp=when,
        receivedAt=received_at,
        properties=properties,
        source=call.type,
        context={k: v for k, v in call.context.items() if k != "ip"},
    )
