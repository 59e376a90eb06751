"""The stored contact: profile, additional fields, channels, aggregates, the events folded into them, and merge
bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.contacts import aggregates
from chalicelib.contacts.folded import Folded

KIND_CONTACT = "contact"  # a known contact, keyed by External ID
KIND_PROFILE = "profile"  # a provisional profile (anonymous visitor, unknown email/phone)
KIND_ALIAS = "alias"  # a profile merged into a contact; points at it


@dataclass
class ContactRecord:
    key: str
    kind: str = KIND_CONTACT
    profile: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)
    aggs: dict[str, Any] = field(default_factory=aggregates.empty)
    merged: list[str] = field(default_factory=list)  # keys of profiles merged into this one
    merged_into: str | None = None
    merge_history: list[dict[str, Any]] = field(default_factory=list)  # known contacts merged in: from, by, when
    folded: Folded = field(default_factory=Folded)  # events the aggregates hold, within the dedupe window
    version: int = 0
    created_at: str = ""
    updated_at: str = ""
    stored_size: int = 0  # bytes of the stored item, for write-unit accounting

    @property
    def exists(self) -> bool:
        return self.version > 0
