"""Queue messages: one versioned model per kind, the stream each kind travels on, and parsing.

A body is ``{"v": 1, "kind": "<kind>", ...}``. Consumers ignore unknown fields so producers can grow; a
kind or version a consumer does not know is a poison message (it goes to the dead-letter queue after
its retries). Handlers are looked up by kind in a registry (``services.consumer``), never by
``isinstance``. Contact imports travel on their own stream, so a large import never delays events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.events.models import Event
from chalicelib.identity.commands import AliasCommand, IdentifyCommand

Stream = Literal["events", "imports"]


class QueueMessage(BaseModel):
    """Base of every queue message: its kind, its schema version, and its stream."""

    model_config = ConfigDict(extra="ignore")
    kind: str
    v: Literal[1] = 1
    stream: Stream = "events"

    def body(self) -> str:
        """The queue body: compact JSON of ``dump``."""
        return json.dumps(dump(self), separators=(",", ":"))


class EventMsg(QueueMessage):
    kind: Literal["event"] = "event"
    event: Event


class EventsMsg(QueueMessage):
    """Many events in one message (``pack``): SQS bills per request, so one message per event would cost
    more than the events' own writes."""

    kind: Literal["events"] = "events"
    events: list[Event]


class OrderMsg(QueueMessage):
    kind: Literal["order"] = "order"
    order: dict[str, Any]
    receivedAt: str


class IdentifyMsg(QueueMessage):
    kind: Literal["identify"] = "identify"
    command: IdentifyCommand


class AliasMsg(QueueMessage):
    kind: Literal["alias"] = "alias"
    command: AliasCommand


class MergeMsg(QueueMessage):
    """Fold provisional profiles (unknown email/phone) into a contact created later."""

    kind: Literal["merge"] = "merge"
    into: str
    sources: list[str]


class ContactMergeMsg(QueueMessage):
    """Merge one known contact into another (``POST /v1/contacts/{externalId}/merge``): asked once, audited, and
    applied by the consumer exactly once like any other contact write."""

    kind: Literal["contactMerge"] = "contactMerge"
    target: str  # External ID of the contact that stays
    source: str  # External ID of the contact merged into it (it becomes an alias of the target)
    by: str  # the name of the key that asked
    keyPrefix: str | None = None
    requestId: str | None = None
    requestedAt: str


class ImportRow(BaseModel):
    index: int
    externalId: str
    contact: dict[str, Any]


class ImportMsg(QueueMessage):
    kind: Literal["import"] = "import"
    stream: Stream = "imports"
    importId: str
    chunk: int
    rows: list[ImportRow]


class SegmentBuildMsg(QueueMessage):
    """Compute one parallel-scan part of a segment generation, from ``cursor`` on; the handler sends the next
    message of the chain with the cursor it reached, so a part never outlives one function's time limit."""

    kind: Literal["segmentBuild"] = "segmentBuild"
    stream: Stream = "imports"
    segmentId: str
    generation: int
    part: int
    parts: int
    cursor: dict[str, Any] | None = None


class ListMembersMsg(QueueMessage):
    """Add or remove a chunk of a list's members by External ID (bulk requests past the synchronous limit)."""

    kind: Literal["listMembers"] = "listMembers"
    stream: Stream = "imports"
    listId: str
    jobId: str
    chunk: int
    action: Literal["add", "remove"]
    externalIds: list[str]
    requestedAt: str


class CampaignPageMsg(QueueMessage):
    """Fan out one page of a campaign's audience (``page`` from 0, read from ``cursor``) into ``campaignSend``
    messages, then queue the next page: a chain that resumes where a crash left it."""

    kind: Literal["campaignPage"] = "campaignPage"
    stream: Stream = "imports"
    campaignId: str
    page: int = 0
    cursor: str | None = None


class CampaignSendMsg(QueueMessage):
    """Send a campaign's message to each of ``contacts`` (contact keys); the ledger (origin = the campaign) makes
    a redelivered message send nothing twice."""

    kind: Literal["campaignSend"] = "campaignSend"
    stream: Stream = "imports"
    campaignId: str
    contacts: list[str]


class WorkflowSendMsg(QueueMessage):
    """A journey's message held by the workflow's send hours, sent when they open (the same ledger key, so once)."""

    kind: Literal["workflowSend"] = "workflowSend"
    stream: Stream = "imports"
    contactKey: str
    templateId: str
    origin: str
    step: str
    transactional: bool = False
    data: dict[str, Any] = Field(default_factory=dict)
    event: dict[str, Any] = Field(default_factory=dict)
    hours: list[int] | None = None


class WorkflowPageMsg(QueueMessage):
    """Start a scheduled workflow's journeys for one page of its segment's members (``generation``, fixed when the
    occasion was claimed; ``page`` from 0, read from ``cursor``), then queue the next page. ``occasion`` names the
    run (``schedule:<local date>``), so a redelivered page starts nothing twice."""

    kind: Literal["workflowPage"] = "workflowPage"
    stream: Stream = "imports"
    workflowId: str
    occasion: str
    segmentId: str
    generation: int
    page: int = 0
    cursor: str | None = None


class ProductAlertMsg(QueueMessage):
    """A catalog save that dropped a product's price or put it back in stock (``catalog.alerts``): publish a
    personal event to one page of the contacts interested in it (``page`` from 0, read from ``cursor``), then
    queue the next page. The events' ids are made of the product, ``version`` and contact, so a redelivered page
    publishes only duplicates the events consumer drops."""

    kind: Literal["productAlert"] = "productAlert"
    stream: Stream = "imports"
    productId: str
    version: int
    at: str  # ISO time of the change
    oldPrice: str | None = None  # decimal text; set with newPrice and currency for a price drop
    newPrice: str | None = None
    currency: str | None = None
    backInStock: bool = False
    page: int = 0
    cursor: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A body parked on a stream's dead-letter queue, and why."""

    message_id: str
    body: str
    reason: str | None  # set when the consumer parked it; None when SQS moved it after repeated failures
    receive_count: int
    sent_at: str  # ISO time it was first sent


KINDS: dict[str, type[QueueMessage]] = {
    model.model_fields["kind"].default: model
    for model in (
        EventMsg,
        EventsMsg,
        OrderMsg,
        IdentifyMsg,
        AliasMsg,
        MergeMsg,
        ContactMergeMsg,
        ImportMsg,
        SegmentBuildMsg,
        ListMembersMsg,
        CampaignPageMsg,
        CampaignSendMsg,
        WorkflowSendMsg,
        WorkflowPageMsg,
        ProductAlertMsg,
    )
}


class UnknownMessage(ValueError):
    """A body whose kind or version this consumer does not know."""


def parse_message(body: str | dict[str, Any]) -> QueueMessage:
    """The message in a queue body; ValueError (or pydantic's ValidationError) when it is not one."""
    raw = json.loads(body) if isinstance(body, str) else body
    if not isinstance(raw, dict):
        raise UnknownMessage("a message body is a JSON object")
    model = KINDS.get(str(raw.get("kind")))
    if model is None:
        raise UnknownMessage(f"unknown message kind {raw.get('kind')!r}")
    if raw.get("v", 1) != 1:
        raise UnknownMessage(f"unknown version {raw.get('v')!r} of {raw.get('kind')!r} messages")
    return model.model_validate({k: v for k, v in raw.items() if k != "stream"})


def dump(message: QueueMessage) -> dict[str, Any]:
    """A message as the JSON object its queue body holds (the stream is where it travels, not what it says)."""
    return message.model_dump(mode="json", exclude_none=True, exclude={"stream"})


PACK_BYTES = 60_000  # under 64 KB: SQS bills every started 64 KB of a request as one request
PACK_EVENTS = 100


def pack(messages: list[QueueMessage]) -> list[QueueMessage]:
    """The same messages with each run of consecutive single events packed into ``EventsMsg``s of at most
    ``PACK_EVENTS`` events and ``PACK_BYTES`` bytes; everything else keeps its place."""
    packed: list[QueueMessage] = []
    run: list[Event] = []
    size = 0

    def flush() -> None:
        nonlocal run, size
        if run:
            packed.append(EventsMsg(events=run) if len(run) > 1 else EventMsg(event=run[0]))
        run, size = [], 0

    for message in messages:
        if not isinstance(message, EventMsg):
            flush()
            packed.append(message)
            continue
        event_size = len(message.event.model_dump_json(exclude_none=True)) + 1
        if run and (len(run) >= PACK_EVENTS or size + event_size > PACK_BYTES):
            flush()
        run.append(message.event)
        size += event_size
    flush()
    return packed
