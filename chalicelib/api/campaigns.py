"""Campaigns API: send a template to a list or a segment now or at a time, follow its progress, cancel it, and
read its report (docs/campaigns.md)."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.api.messages import public_base
from chalicelib.deps import ports
from chalicelib.messaging.campaigns import OUTCOMES, Campaign
from chalicelib.services.messaging import campaigns
from chalicelib.services.messaging.campaigns import CampaignIn
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Campaigns"


class ProgressOut(BaseModel):
    queued: int = Field(description="Members fanned out so far")
    sent: int
    failed: int = Field(description="The template or the provider failed the message")
    skipped: int = Field(description="Not sent: unsubscribed, no address, over a frequency cap, not a known contact")
    remaining: int = Field(description="Queued members without an outcome yet (deferred to send hours count here)")


class CampaignOut(BaseModel):
    id: str
    name: str
    templateId: str
    channel: str
    audience: str
    audienceKind: str = Field(description="`list` or `segment`")
    sendAt: str
    status: str = Field(description="`scheduled`, `running`, `done` or `cancelled`")
    tags: list[str]
    generation: int | None = Field(description="The audience membership generation sent to (set when it starts)")
    progress: ProgressOut
    createdAt: str
    updatedAt: str


class CampaignsOut(BaseModel):
    items: list[CampaignOut] = Field(description="Newest first")


class ReportOut(BaseModel):
    sent: int
    delivered: int
    opened: int = Field(description="Messages opened at least once")
    clicked: int = Field(description="Messages clicked at least once")
    unsubscribed: int
    conversions: int = Field(description="Delivered orders placed by clickers within `days` after their first click")
    revenue: float = Field(description="Those orders' `totalCost` summed")
    days: int


def shown(c: Campaign) -> CampaignOut:
    p = c.progress
    done = sum(p.get(o, 0) for o in OUTCOMES)
    return CampaignOut(
        id=c.id,
        name=c.name,
        templateId=c.template_id,
        channel=c.channel,
        audience=c.audience_id,
        audienceKind=c.audience_kind,
        sendAt=c.send_at,
        status=c.status,
        tags=list(c.tags),
        generation=c.generation,
        progress=ProgressOut(
            queued=p.get("queued", 0),
            sent=p.get("sent", 0),
            failed=p.get("failed", 0),
            skipped=p.get("skipped", 0),
            remaining=max(0, p.get("queued", 0) - done),
        ),
        createdAt=c.created_at,
        updatedAt=c.updated_at,
    )


@api_route(
    bp,
    "/v1/campaigns",
    "POST",
    auth="secret",
    tag=TAG,
    body=CampaignIn,
    response=CampaignOut,
    status=202,
    summary="Send a template to a list's or a segment's members, now or at `sendAt`",
)
def create_campaign(call: Call) -> CampaignOut:
    return shown(campaigns.create(ports(), parse(CampaignIn, call.body), public_base(call, "/v1/campaigns")))


@api_route(
    bp,
    "/v1/campaigns",
    "GET",
    auth="secret",
    tag=TAG,
    response=CampaignsOut,
    query={"tag": "Only campaigns carrying this tag"},
    summary="Campaigns, newest first",
)
def list_campaigns(call: Call) -> CampaignsOut:
    return CampaignsOut(items=[shown(c) for c in campaigns.listing(ports(), call.query("tag"))])


@api_route(bp, "/v1/campaigns/{id}", "GET", auth="secret", tag=TAG, response=CampaignOut, summary="One campaign")
def get_campaign(call: Call) -> CampaignOut:
    return shown(campaigns.get(ports(), call.params["id"]))


@api_route(
    bp,
    "/v1/campaigns/{id}/cancel",
    "POST",
    auth="secret",
    tag=TAG,
    response=CampaignOut,
    summary="Stop further sends (what went out stays); a finished campaign is returned as it is",
)
def cancel_campaign(call: Call) -> CampaignOut:
    return shown(campaigns.cancel(ports(), call.params["id"]))


@api_route(
    bp,
    "/v1/campaigns/{id}/report",
    "GET",
    auth="secret",
    tag=TAG,
    response=ReportOut,
    query={"days": "The conversion window after a click, in days (1-90, default 3)"},
    summary="What the campaign's messages did: delivered, opened, clicked, unsubscribed, conversions, revenue",
)
def campaign_report(call: Call) -> ReportOut:
    found = campaigns.report(ports(), call.params["id"], call.int_query("days", 3, 1, 90))
    return ReportOut(
        sent=found.sent,
        delivered=found.delivered,
        opened=found.opened,
        clicked=found.clicked,
        unsubscribed=found.unsubscribed,
        conversions=found.conversions,
        revenue=found.revenue,
        days=found.window_days,
    )
