"""Campaigns: a template sent to the members of a list or a segment, now or at ``sendAt``.

The fan-out is a chain of ``campaignPage`` messages on the imports stream, one page of the audience's generation
(the one served when the campaign starts; a recomputation later does not move it) each: a page queues
``campaignSend`` messages of ``SEND_BATCH`` contacts and the next page. A send message sends to each of its
contacts through ``send.py`` with the campaign as the ledger origin, so a redelivered page or send message
sends nothing twice; a member's outcome is recorded once (``CampaignStore.record``) and moves the progress.

* Rate: a token bucket per channel (``RATES``, messages per second; ``BURST`` tokens) smooths each consumer's
  sends, and the provider's rate (``pacing.py``, ``ORBIT_PROVIDER_RATES``) holds them across all consumers.
* Send hours: a message deferred by the contact's send hours is kept as a due entry and queued again when due
  (the ``campaigns_due`` schedule), never dropped.
* Cancel: a cancelled campaign fans out and sends nothing more; what went out stays.
* Scheduled campaigns are due entries too: the schedule starts them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.messages import CampaignPageMsg, CampaignSendMsg, QueueMessage, parse_message
from chalicelib.messaging.campaigns import CANCELLED, DONE, RUNNING, SCHEDULED, Campaign
from chalicelib.messaging.outbound import CHANNELS, FAILED, SENT, new_message_id
from chalicelib.orders.models import COUNTED
from chalicelib.ports import Order, Ports
from chalicelib.segments.models import Generation
from chalicelib.services.messaging import pacing
from chalicelib.services.messaging.send import SendRequest, send

log = logging.getLogger("orbit.campaigns")
PAGE = 500  # members read per campaignPage message
SEND_BATCH = 50  # contacts per campaignSend message
DUE_BATCH = 100  # due entries queued per schedule run
RATES: dict[str, float] = {"email": 50.0, "sms": 20.0}  # messages per second per consumer (others: DEFAULT_RATE)
DEFAULT_RATE = 20.0
BURST = 10.0
# failures that are the campaign's policies or the contact's choice, not a sending failure: reported "skipped"
SKIPPED_FAILURES = frozenset({"unsubscribed", "unreachable", "capped"})


class CampaignIn(BaseModel):
    """Body of ``POST /v1/campaigns``."""

    model_config = ConfigDict(extra="forbid")
    templateId: str = Field(min_length=1, description="The template sent (its channel is the campaign's)")
    audience: str = Field(min_length=1, description="The id of a list or a segment")
    sendAt: datetime | None = Field(default=None, description="When to send (ISO 8601); absent or past: now")
    name: str = Field(default="", max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; ``take`` waits (``sleep``) until one is there."""

    def __init__(
        self,
        rate: float,
        burst: float = BURST,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("a rate is positive")
        self.rate, self.burst = rate, max(burst, 1.0)
        self.monotonic, self.sleep = monotonic, sleep
        self.tokens = self.burst
        self.at = monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token; returns the seconds waited."""
        with self._lock:
            now = self.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            self.sleep(wait)
        return wait


@dataclass
class Buckets:
    """One token bucket per channel, at ``RATES`` unless given."""

    rates: dict[str, float] = field(default_factory=lambda: dict(RATES))
    made: dict[str, TokenBucket] = field(default_factory=dict)

    def take(self, channel: str) -> float:
        bucket = self.made.get(channel)
        if bucket is None:
            bucket = self.made[channel] = TokenBucket(self.rates.get(channel, DEFAULT_RATE))
        return bucket.take()


BUCKETS = Buckets()


def _new_id(ports: Ports) -> str:
    return "cmp_" + new_message_id(int(ports.clock.now().timestamp() * 1000))[4:]


def create(ports: Ports, body: CampaignIn, base_url: str = "") -> Campaign:
    """Store a campaign and start it now, or keep it until ``sendAt`` (``base_url``: where its emails' links point
    unless the stage's public URL says otherwise)."""
    template = ports.templates.template(body.templateId)
    if template is None:
        raise InvalidInput("templateId is invalid", [ErrorDetail("templateId", "is not the id of a template")])
    if template.channel not in CHANNELS:
        raise InvalidInput(
            "templateId is invalid", [ErrorDetail("templateId", f"is a {template.channel} template, not sent")]
        )
    audience = ports.segments.segment(body.audience)
    if audience is None:
        raise InvalidInput("audience is invalid", [ErrorDetail("audience", "is not the id of a list or segment")])
    now = ports.clock.now()
    send_at = body.sendAt
    if send_at is not None and send_at.tzinfo is None:
        raise InvalidInput("sendAt is invalid", [ErrorDetail("sendAt", "needs a time zone (Z or an offset)")])
    later = send_at is not None and send_at > now
    campaign = Campaign(
        id=_new_id(ports),
        template_id=template.id,
        audience_id=audience.id,
        audience_kind=audience.kind,
        channel=template.channel,
        send_at=iso(send_at if later and send_at else now),
        status=SCHEDULED,
        created_at=iso(now),
        updated_at=iso(now),
        name=body.name,
        tags=tuple(dict.fromkeys(body.tags)),
        base_url=base_url,
    )
    ports.campaigns.create(campaign)
    if later:
        ports.campaigns.schedule(campaign.send_at, campaign.id, CampaignPageMsg(campaignId=campaign.id).body())
        return campaign
    return start(ports, campaign.id) or campaign


def start(ports: Ports, campaign_id: str) -> Campaign | None:
    """Fix the audience generation and queue the first page (a started or cancelled campaign is left alone)."""
    campaign = ports.campaigns.campaign(campaign_id)
    if campaign is None or campaign.status != SCHEDULED:
        return campaign
    audience = ports.segments.segment(campaign.audience_id)
    now = iso(ports.clock.now())
    if audience is None:  # deleted since: nothing to send to
        return _update(ports, campaign, {"status": DONE, "fanned_out": True, "updated_at": now})
    started = _update(ports, campaign, {"status": RUNNING, "generation": audience.generation, "updated_at": now})
    if started is not None and started.status == RUNNING:
        ports.publisher.publish([CampaignPageMsg(campaignId=campaign.id)])
    return started


def _update(ports: Ports, campaign: Campaign, changes: dict[str, Any]) -> Campaign | None:
    try:
        return ports.campaigns.update(campaign.id, campaign.status, changes)
    except Conflict:
        return ports.campaigns.campaign(campaign.id)


def run_page(ports: Ports, message: CampaignPageMsg) -> None:
    """Queue one page of the audience's sends, and the next page (or note the fan-out is over)."""
    campaign = ports.campaigns.campaign(message.campaignId)
    if campaign is None or campaign.status != RUNNING or campaign.generation is None:
        return  # cancelled, or a redelivered page of a finished campaign
    generation = Generation(campaign.audience_id, campaign.generation)
    found, after = ports.memberships.members(generation, PAGE, message.cursor)
    keys = [key for key, _ in found]
    queued: list[QueueMessage] = [
        CampaignSendMsg(campaignId=campaign.id, contacts=keys[i : i + SEND_BATCH])
        for i in range(0, len(keys), SEND_BATCH)
    ]
    if after is not None:
        queued.append(CampaignPageMsg(campaignId=campaign.id, page=message.page + 1, cursor=after))
    ports.publisher.publish(queued)
    ports.campaigns.record(campaign.id, f"page:{message.page}", "queued", n=len(keys))
    if after is None:
        fanned = _update(ports, campaign, {"fanned_out": True, "updated_at": iso(ports.clock.now())})
        if fanned is not None:
            _maybe_done(ports, fanned)


def run_send(
    ports: Ports, message: CampaignSendMsg, buckets: Buckets = BUCKETS, sleep: pacing.Sleep = time.sleep
) -> None:
    """Send the campaign's message to each contact of the batch (those with an outcome are skipped over), each
    within the provider's shared rate (``pacing``: the rest of the batch is put off when it stays full)."""
    campaign = ports.campaigns.campaign(message.campaignId)
    if campaign is None or campaign.status != RUNNING:
        return
    for n, contact_key in enumerate(message.contacts):
        if n and n % 10 == 0:  # a cancel stops a batch within a few sends
            latest = ports.campaigns.campaign(campaign.id)
            if latest is None or latest.status != RUNNING:
                return
        buckets.take(campaign.channel)
        if not pacing.slot(ports, campaign.channel, sleep):
            pacing.put_off(ports, campaign.id, message.contacts[n:])
            return
        _send_one(ports, campaign, contact_key)
    latest = ports.campaigns.campaign(campaign.id)
    if latest is not None:
        _maybe_done(ports, latest)


def _send_one(ports: Ports, campaign: Campaign, contact_key: str) -> None:
    request = SendRequest(
        contact_key=contact_key, template_id=campaign.template_id, origin=campaign.origin, base_url=campaign.base_url
    )
    try:
        result = send(ports, request)
    except NotFound:  # not a known contact (a provisional profile) or the template was deleted
        ports.campaigns.record(campaign.id, contact_key, "skipped")
        return
    if result.deferred_until is not None:
        body = CampaignSendMsg(campaignId=campaign.id, contacts=[contact_key]).body()
        ports.campaigns.schedule(result.deferred_until, f"{campaign.id}#{contact_key}", body)
        return
    sent = result.message
    if sent.status == SENT:
        ports.campaigns.record(campaign.id, contact_key, "sent", sent.id)
    elif sent.status == FAILED:
        outcome = "skipped" if sent.failure in SKIPPED_FAILURES else "failed"
        ports.campaigns.record(campaign.id, contact_key, outcome, sent.id)
    # "sending": another attempt holds it; that attempt's redelivery records its outcome


def _maybe_done(ports: Ports, campaign: Campaign) -> None:
    if campaign.status == RUNNING and campaign.finished:
        _update(ports, campaign, {"status": DONE, "updated_at": iso(ports.clock.now())})


def cancel(ports: Ports, campaign_id: str) -> Campaign:
    """Stop further sends (a finished campaign stays as it is)."""
    for _attempt in range(5):
        campaign = get(ports, campaign_id)
        if campaign.status in (DONE, CANCELLED):
            return campaign
        try:
            return ports.campaigns.update(
                campaign_id, campaign.status, {"status": CANCELLED, "updated_at": iso(ports.clock.now())}
            )
        except Conflict:
            continue
    raise Conflict(f"Campaign {campaign_id!r} kept changing; try again")


def get(ports: Ports, campaign_id: str) -> Campaign:
    campaign = ports.campaigns.campaign(campaign_id)
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id!r}")
    return campaign


def listing(ports: Ports, tag: str | None = None) -> list[Campaign]:
    """Every campaign, newest first, with ``tag`` when given."""
    found = [c for c in ports.campaigns.campaigns() if tag is None or tag in c.tags]
    return sorted(found, key=lambda c: c.id, reverse=True)


def sweep_due(ports: Ports) -> int:
    """Queue what is due (scheduled campaigns' starts, deferred sends); returns how many."""
    queued = 0
    now = iso(ports.clock.now())
    for entry, body in ports.campaigns.due(now, DUE_BATCH):
        message = parse_message(body)
        if isinstance(message, CampaignPageMsg) and message.page == 0 and message.cursor is None:
            start(ports, message.campaignId)
        else:
            ports.publisher.publish([message])
        ports.campaigns.done(entry)
        queued += 1
    return queued


@dataclass(frozen=True)
class Report:
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    conversions: int
    revenue: float
    window_days: int


def report(ports: Ports, campaign_id: str, window_days: int = 3) -> Report:
    """What the campaign's messages did: counted from each sent message's counters, and the delivered orders its
    clickers placed within ``window_days`` after their first click (one conversion per order)."""
    if not 1 <= window_days <= 90:
        raise InvalidInput("days is invalid", [ErrorDetail("days", "must be an integer from 1 to 90")])
    get(ports, campaign_id)
    sent = delivered = opened = clicked = unsubscribed = conversions = 0
    revenue = 0.0
    for contact_key, outcome, message_id in ports.campaigns.outcomes(campaign_id):
        if outcome != "sent" or message_id is None:
            continue
        message = ports.messages.message(message_id)
        if message is None:
            continue
        sent += 1
        delivered += int(bool(message.counters.get("delivered")))
        opened += int(bool(message.counters.get("opened")))
        unsubscribed += int(bool(message.counters.get("unsubscribed")))
        first_click = message.first.get("clicked")
        if not first_click:
            continue
        clicked += 1
        since = datetime.fromisoformat(first_click)
        until = since + timedelta(days=window_days)
        for order in ports.orders.for_contact(contact_key):
            placed = _order_time(order)
            if placed is not None and since <= placed <= until and _delivered(order):
                conversions += 1
                revenue += _total(order)
    return Report(sent, delivered, opened, clicked, unsubscribed, conversions, round(revenue, 2), window_days)


def _order_time(order: Order) -> datetime | None:
    try:
        placed = datetime.fromisoformat(str(order.get("date")))
    except ValueError:
        return None
    return placed if placed.tzinfo is not None else None


def _delivered(order: Order) -> bool:
    return order.get("status") == COUNTED


def _total(order: Order) -> float:
    try:
        return float(order.get("totalCost") or 0)
    except (TypeError, ValueError):
        return 0.0
