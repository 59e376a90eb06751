"""Campaign sends paced to each provider's rate across every process.

A provider's rate (``Policies.rates``, sends per second: ``ORBIT_PROVIDER_RATES``) is shared by every consumer
through the ``RateLimiter``: each send takes a slot in the provider's current one-second window first. When the
window is full the send waits for the next one; when ``WINDOWS`` windows in a row are full (many consumers at
once), the batch's remaining contacts are put off (a due entry ``PUT_OFF`` ahead, queued again by the
``campaigns_due`` schedule) rather than holding the consumer. A provider without a rate is not paced here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from chalicelib.clock import iso
from chalicelib.messages import CampaignSendMsg
from chalicelib.ports import Ports

WINDOWS = 5  # one-second windows tried for a slot before the rest of a batch is put off
PUT_OFF = timedelta(seconds=30)
Sleep = Callable[[float], None]


def slot(ports: Ports, channel: str, sleep: Sleep = time.sleep) -> bool:
    """Take a slot of the channel's provider in the current window, waiting for later windows while they are
    full; False when none came free within ``WINDOWS`` windows."""
    provider = ports.senders.providers().get(channel)
    rate = ports.policies.rates.get(provider) if provider else None
    if rate is None:
        return True
    for _ in range(WINDOWS):
        now = ports.clock.now().timestamp()
        window = int(now)
        if ports.rates.take(provider or "", window, rate):
            return True
        sleep(max(0.0, window + 1 - now))
    return False


def put_off(ports: Ports, campaign_id: str, contacts: Sequence[str]) -> None:
    """Send to ``contacts`` later (``PUT_OFF`` from now), as a due ``campaignSend``."""
    if not contacts:
        return
    at = iso(ports.clock.now() + PUT_OFF)
    body = CampaignSendMsg(campaignId=campaign_id, contacts=list(contacts)).body()
    ports.campaigns.schedule(at, f"{campaign_id}#rate#{contacts[0]}", body)
