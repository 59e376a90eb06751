"""Campaigns: a template sent to a list's or a segment's members, now or at a time, and how far it got.

A campaign is ``scheduled`` (``sendAt`` is ahead), ``running`` (its audience is being fanned out and sent),
``done`` (every member queued has an outcome) or ``cancelled`` (no further sends). Progress counts each member
once: ``queued`` when its page is fanned out, then one of ``sent``, ``failed`` (the provider or the template
failed it) or ``skipped`` (no consent, no address, over a frequency cap, not a known contact).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

CampaignStatus = Literal["scheduled", "running", "done", "cancelled"]
SCHEDULED: CampaignStatus = "scheduled"
RUNNING: CampaignStatus = "running"
DONE: CampaignStatus = "done"
CANCELLED: CampaignStatus = "cancelled"
PROGRESS = ("queued", "sent", "failed", "skipped")
OUTCOMES = ("sent", "failed", "skipped")


@dataclass(frozen=True)
class Campaign:
    id: str
    template_id: str
    audience_id: str  # a list's or a segment's id
    audience_kind: str  # "list" | "segment"
    channel: str
    send_at: str  # ISO time the fan-out starts
    status: CampaignStatus
    created_at: str
    updated_at: str
    name: str = ""
    tags: tuple[str, ...] = ()
    generation: int | None = None  # the audience generation fanned out (fixed when the fan-out starts)
    fanned_out: bool = False  # every page of the audience is queued
    progress: dict[str, int] = field(default_factory=dict)
    base_url: str = ""  # where an email's links point when the stage has no public URL (the API as asked)

    @property
    def origin(self) -> str:
        """The ledger origin of the campaign's messages: each contact gets one message, whatever retries."""
        return f"campaign:{self.id}"

    @property
    def finished(self) -> bool:
        done = sum(self.progress.get(o, 0) for o in OUTCOMES)
        return self.fanned_out and done >= self.progress.get("queued", 0)

    def with_(self, **changes: Any) -> Campaign:
        return replace(self, **changes)
