"""Campaign sends within the provider's shared rate: each send takes a slot of the provider's one-second window
(shared by every consumer through the RateLimiter); a full window waits for the next, and when windows stay full
the rest of the batch is put off as a due entry, never dropped or sent twice."""

from __future__ import annotations

import dataclasses

from chalicelib.clock import FixedClock
from chalicelib.messages import CampaignSendMsg, parse_message
from chalicelib.messaging.policies import Policies
from chalicelib.ports import Ports
from chalicelib.services.messaging import campaigns, pacing
from chalicelib.services.messaging.campaigns import Buckets, CampaignIn
from tests.fakes import FakeRateLimiter
from tests.unit.messaging_policies.test_campaign_pacing import audience, outbox
from tests.unit.messaging_send.support import BASE, wired


class Sleeper:
    """A sleep that moves the fixed clock as far as it was asked to wait."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)


def paced(rate: int) -> Ports:
    return dataclasses.replace(wired(), policies=Policies(rates={"sandbox": rate}))


def a_batch(ports: Ports, *names: str) -> CampaignSendMsg:
    audience(ports, *names)
    campaign = campaigns.create(ports, CampaignIn(templateId="welcome", audience="vip"), BASE)
    return CampaignSendMsg(campaignId=campaign.id, contacts=[f"x#{n}" for n in names])


def clock_of(ports: Ports) -> FixedClock:
    assert isinstance(ports.clock, FixedClock)
    return ports.clock


def test_sends_past_the_rate_wait_for_the_next_window():
    ports = paced(2)
    batch = a_batch(ports, "amy", "ben", "cid", "dan", "eve")
    sleep = Sleeper(clock_of(ports))
    campaigns.run_send(ports, batch, Buckets(), sleep)
    assert len(outbox(ports)) == 5
    assert sleep.slept == [1.0, 1.0]  # 2, 2, then 1 in the third second
    limiter = ports.rates
    assert isinstance(limiter, FakeRateLimiter)
    assert sorted(limiter.windows.values()) == [1, 2, 2]


def test_windows_full_of_other_consumers_sends_put_the_rest_off():
    ports = paced(1)
    batch = a_batch(ports, "amy", "ben", "cid")
    clock = clock_of(ports)
    now = int(clock.now().timestamp())
    for second in range(now + 1, now + 1 + pacing.WINDOWS):  # other consumers take every slot after the first
        assert ports.rates.take("sandbox", second, 1)
    campaigns.run_send(ports, batch, Buckets(), Sleeper(clock))
    assert outbox(ports) == ["amy@example.com"]
    due = ports.campaigns.due("2099-01-01T00:00:00.000Z", 10)
    assert len(due) == 1
    put_off = parse_message(due[0][1])
    assert isinstance(put_off, CampaignSendMsg) and put_off.contacts == ["x#ben", "x#cid"]


def test_a_provider_without_a_rate_is_not_paced():
    ports = dataclasses.replace(wired(), policies=Policies(rates={"ses": 1}))
    batch = a_batch(ports, "amy", "ben", "cid")
    sleep = Sleeper(clock_of(ports))
    campaigns.run_send(ports, batch, Buckets(), sleep)
    assert len(outbox(ports)) == 3 and sleep.slept == []
