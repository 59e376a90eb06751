"""CampaignStore: campaigns change only from the status expected, an outcome counts once with its mark, and due
entries come back earliest first until dropped."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.campaigns import CANCELLED, RUNNING, SCHEDULED, Campaign
from chalicelib.ports import CampaignStore, Ports

T = "2026-11-27T12:00:00.000Z"


@pytest.fixture
def campaigns(wired: Ports) -> CampaignStore:
    return wired.campaigns


def campaign(campaign_id: str = "cmp_1", **changes) -> Campaign:
    values = {
        "id": campaign_id,
        "template_id": "welcome",
        "audience_id": "vip",
        "audience_kind": "list",
        "channel": "email",
        "send_at": T,
        "status": SCHEDULED,
        "created_at": T,
        "updated_at": T,
        "name": "Sale",
        "tags": ("sale", "nov"),
    }
    return Campaign(**{**values, **changes})


def test_create_read_list_and_update(campaigns: CampaignStore):
    campaigns.create(campaign())
    campaigns.create(campaign("cmp_2", tags=()))
    with pytest.raises(Conflict):
        campaigns.create(campaign())
    assert campaigns.campaign("cmp_1") == campaign()
    assert campaigns.campaign("nope") is None
    assert [c.id for c in campaigns.campaigns()] == ["cmp_1", "cmp_2"]
    running = campaigns.update("cmp_1", SCHEDULED, {"status": RUNNING, "generation": 3, "updated_at": "later"})
    assert (running.status, running.generation, running.updated_at) == (RUNNING, 3, "later")
    with pytest.raises(Conflict):
        campaigns.update("cmp_1", SCHEDULED, {"status": CANCELLED})
    with pytest.raises(NotFound):
        campaigns.update("nope", SCHEDULED, {"status": CANCELLED})
    assert campaigns.update("cmp_1", RUNNING, {"fanned_out": True}).fanned_out


def test_outcomes_count_once(campaigns: CampaignStore):
    campaigns.create(campaign())
    assert campaigns.record("cmp_1", "page:0", "queued", n=3)
    assert not campaigns.record("cmp_1", "page:0", "queued", n=3)
    assert campaigns.record("cmp_1", "x#ann", "sent", "msg_1")
    assert not campaigns.record("cmp_1", "x#ann", "failed", "msg_1")
    assert campaigns.record("cmp_1", "x#bob", "skipped")
    stored = campaigns.campaign("cmp_1")
    assert stored is not None and stored.progress == {"queued": 3, "sent": 1, "skipped": 1}
    assert sorted(campaigns.outcomes("cmp_1")) == [("x#ann", "sent", "msg_1"), ("x#bob", "skipped", None)]


def test_due_entries(campaigns: CampaignStore):
    campaigns.schedule("2026-11-27T13:00:00.000Z", "cmp_2", "b2")
    campaigns.schedule("2026-11-27T12:00:00.000Z", "cmp_1", "b1")
    campaigns.schedule("2026-11-27T12:00:00.000Z", "cmp_1", "b1")
    assert [b for _, b in campaigns.due("2026-11-27T12:30:00.000Z", 10)] == ["b1"]
    due = campaigns.due("2026-11-27T13:00:00.000Z", 10)
    assert [b for _, b in due] == ["b1", "b2"]
    campaigns.done(due[0][0])
    assert [b for _, b in campaigns.due("2026-11-27T13:00:00.000Z", 10)] == ["b2"]
