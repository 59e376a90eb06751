"""Event models: what clients send, and the canonical event every source is mapped onto."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.validation import Email, EventTypeName, Phone, Timestamp, UtcDatetime

MAX_EVENT_BYTES = 20 * 1024
MAX_EVENTS_PER_REQUEST = 500

# Canonical e-commerce event types (Segment e-commerce v2 names); eSputnik names map onto them.
PAGE_VIEWED = "Page Viewed"
PRODUCT_VIEWED = "Product Viewed"
PRODUCT_LIST_VIEWED = "Product List Viewed"
PRODUCTS_SEARCHED = "Products Searched"
CART_UPDATED = "Cart Updated"
ORDER_COMPLETED = "Order Completed"
WISHLIST_ADDED = "Product Added to Wishlist"


# An item without a timestamp happened "now", which differs between a request and its retry: its derived id
# uses the receive time floored to this window instead, so identical untimed items received in the same window
# (UTC, aligned to the epoch) are one event. Longer catches slower retries; shorter merges fewer real repeats.
UNTIMED_WINDOW = timedelta(minutes=5)
EVENT_ID_RULE = (
    "Idempotency key; resends are ignored. Without one the id is derived from the content (type, identity,"
    " properties and `timestamp`), so a retried request stores nothing twice; an item without `timestamp` is"
    f" deduplicated only against identical items received in the same {UNTIMED_WINDOW.seconds // 60}-minute"
    " window (UTC), and a request that repeats an item on purpose stores each copy"
)


class Identity(BaseModel):
    """Who an event is about: any of the identifiers, strongest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    externalId: str | None = Field(default=None, min_length=1, max_length=256)
    email: Email | None = None
    phone: Phone | None = None
    anonymousId: str | None = Field(default=None, min_length=1, max_length=128)


class EventIn(BaseModel):
    """One event as a server sends it to ``POST /v1/events``."""

    model_config = ConfigDict(extra="forbid")

    type: EventTypeName = Field(min_length=1, max_length=100, description="Event type, e.g. `Product Viewed`")
    externalId: str | None = Field(default=None, min_length=1, max_length=256)
    email: Email | None = None
    phone: Phone | None = None
    anonymousId: str | None = Field(default=None, min_length=1, max_length=128)
    eventId: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description=EVENT_ID_RULE,
    )
    timestamp: Timestamp | None = Field(
        default=None,
        description=(
            "When it happened (ISO 8601; an offset is converted to UTC, no offset means UTC); past events welcome"
            " from 2000-01-01 on, at most a few minutes ahead of the server's clock (`docs/tracking.md`, Time)"
        ),
    )
    properties: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _identified(self) -> EventIn:
        if not (self.externalId or self.email or self.phone or self.anonymousId):
            raise ValueError("one of externalId, email, phone or anonymousId is required")
        return self

    def identity(self) -> Identity:
        return Identity(externalId=self.externalId, email=self.email, phone=self.phone, anonymousId=self.anonymousId)


class EventsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_EVENTS_PER_REQUEST,
        description=(
            "Each event: `type`; at least one of `externalId`, `email`, `phone`, `anonymousId`; optional"
            " `timestamp` (ISO 8601, stored in UTC, no offset means UTC; from 2000-01-01 to a few minutes ahead of"
            " the server's clock), `properties` (object) and `eventId`. `eventId`: " + EVENT_ID_RULE
        ),
    )


class Rejected(BaseModel):
    index: int
    errors: list[dict[str, str]]


class EventsAccepted(BaseModel):
    accepted: int
    rejected: list[Rejected] = Field(default_factory=list)


class Event(BaseModel):
    """The canonical event, as queued and stored: every field the edge could fill is filled."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    eventId: str
    type: str
    identity: Identity
    timestamp: UtcDatetime
    receivedAt: UtcDatetime
    properties: dict[str, Any] = Field(default_factory=dict)
    source: str = "api"
    context: dict[str, Any] = Field(default_factory=dict)


def encoded_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def content_id(prefix: str, content: Mapping[str, Any]) -> str:
    """A deterministic id for content that came without one: ``prefix`` + sha256 of its canonical JSON (keys
    sorted, compact separators, UTF-8), so resending identical content yields the same id and dedupes downstream."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return prefix + hashlib.sha256(canonical.encode()).hexdigest()


Enricher = Callable[[list["Event"]], list["Event"]]
"""Fills what events left out (catalog fields) before they are stored; the consumer's hook."""
