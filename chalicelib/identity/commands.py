"""Identity commands produced by tracking calls and consumed by the event consumer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.validation import UtcDatetime


class IdentifyCommand(BaseModel):
    """Attach traits to a contact; with both ids, merge the anonymous visitor into the known contact."""

    model_config = ConfigDict(frozen=True)

    messageId: str
    externalId: str | None = None
    anonymousId: str | None = None
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: UtcDatetime


class AliasCommand(BaseModel):
    """Segment ``alias``: ``previousId`` (an anonymous id) becomes the known ``externalId``."""

    model_config = ConfigDict(frozen=True)

    messageId: str
    previousId: str
    externalId: str
    timestamp: UtcDatetime
