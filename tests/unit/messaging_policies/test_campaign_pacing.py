"""Campaigns on fake ports: the token bucket paces a channel, a send outside the contact's hours becomes a due
entry that the schedule queues when due (never dropped), and a cancelled campaign sends nothing more."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.clock import FixedClock
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.messaging.campaigns import DONE, RUNNING
from chalicelib.messaging.policies import Policies
from chalicelib.ports import Ports
from chalicelib.segments.rules import ListIn
from chalicelib.services import background, contacts
from chalicelib.services.messaging import campaigns
from chalicelib.services.messaging.campaigns import CampaignIn, TokenBucket
from chalicelib.services.segments import definitions, lists
from tests.fakes import NOW, FakePublisher
from tests.unit.messaging_send.support import BASE, wired


class Ticking:
    """A monotonic clock that only moves when the bucket sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def test_the_bucket_lets_a_burst_through_then_paces_at_its_rate():
    clock = Ticking()
    bucket = TokenBucket(10.0, burst=3, monotonic=clock.monotonic, sleep=clock.sleep)
    waits = [bucket.take() for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1] * 4)
    assert clock.t == pytest.approx(0.4)  # 7 messages: 3 at once, then 10 a second
    with pytest.raises(ValueError):
        TokenBucket(0)


def audience(ports: Ports, *names: str) -> None:
    for name in names:
        profile = {"email": f"{name}@example.com", "timeZone": "Asia/Tokyo"}
        contacts.upsert(ports, name, ContactIn.model_validate(profile))
    definitions.create_list(ports, ListIn(id="vip", name="VIP"))
    lists.add_members(ports, "vip", list(names), NOW)


def run_all(ports: Ports) -> None:
    """Consume the imports stream (where campaign messages travel) until it is empty."""
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    for _ in range(50):
        records = publisher.drain_records("imports")
        if not records:
            return
        assert background.consume(ports, records) == []


def outbox(ports: Ports) -> list[str]:
    return sorted(i.message.to["email"] for i in ports.messages.outbox(100)[0])


def test_a_send_outside_the_hours_waits_for_them_and_is_sent_once():
    ports = dataclasses.replace(wired(), policies=Policies(hours=(9, 18)))  # NOW is 21:00 in Tokyo
    audience(ports, "amy", "ben", "cid")
    campaign = campaigns.create(ports, CampaignIn(templateId="welcome", audience="vip"), BASE)
    run_all(ports)
    assert outbox(ports) == []
    found = ports.campaigns.campaign(campaign.id)
    assert found is not None and found.status == RUNNING and found.progress == {"queued": 3}
    due = ports.campaigns.due("2099-01-01T00:00:00.000Z", 10)
    assert [entry.split("#", 1)[0] for entry, _ in due] == ["2026-11-28T00:00:00.000Z"] * 3  # 09:00 in Tokyo
    assert campaigns.sweep_due(ports) == 0  # not due yet
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(hours=12, minutes=1)
    assert campaigns.sweep_due(ports) == 3
    assert campaigns.sweep_due(ports) == 0  # queued once
    run_all(ports)
    assert outbox(ports) == ["amy@example.com", "ben@example.com", "cid@example.com"]
    found = ports.campaigns.campaign(campaign.id)
    assert found is not None and found.status == DONE and found.progress == {"queued": 3, "sent": 3}


def test_a_cancelled_campaign_sends_nothing_more():
    ports = wired()
    audience(ports, "amy", "ben")
    campaign = campaigns.create(ports, CampaignIn(templateId="welcome", audience="vip"), BASE)
    assert campaigns.cancel(ports, campaign.id).status == "cancelled"
    run_all(ports)
    assert outbox(ports) == []
    with pytest.raises(NotFound):
        campaigns.cancel(ports, "cmp_none")


def test_provisional_members_and_a_deleted_audience_are_not_sent_to():
    ports = wired()
    audience(ports, "amy")
    at = NOW.replace(hour=13)
    campaign = campaigns.create(ports, CampaignIn(templateId="welcome", audience="vip", sendAt=at), BASE)
    assert campaign.status == "scheduled"
    definitions.delete(ports, "vip", "list")
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(hours=2)
    assert campaigns.sweep_due(ports) == 1
    found = ports.campaigns.campaign(campaign.id)
    assert found is not None and found.status == DONE and found.progress == {}
    with pytest.raises(InvalidInput):
        campaigns.create(ports, CampaignIn(templateId="welcome", audience="vip", sendAt=at.replace(tzinfo=None)), BASE)
