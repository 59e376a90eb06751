"""Campaigns through the API on moto: a template sent to a list's members page by page through the imports
stream, exactly once per contact across redeliveries, skipped where consent or a cap says so, with progress,
a tag filter, cancel, scheduled starts and a report of opens, clicks and conversions (docs/campaigns.md)."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.clock import iso
from chalicelib.messages import CampaignPageMsg, CampaignSendMsg
from chalicelib.messaging.policies import Cap, Policies
from chalicelib.services.messaging import campaigns as service
from chalicelib.services.messaging.campaigns import Buckets
from chalicelib.services.messaging.consent import set_consent

TEMPLATE = {
    "id": "sale",
    "name": "Sale",
    "channel": "email",
    "content": {
        "from": "Shop <shop@example.com>",
        "subject": "Sale, {{ contact.firstName }}",
        "html": '<p>Hi {{ contact.firstName }}</p><p><a href="https://shop.example/sale">Sale</a></p>',
    },
}
PEOPLE = ["ann", "bob", "cat", "dan", "eve"]


@pytest.fixture
def shop(api, monkeypatch):
    """Five contacts on the list ``vip`` (``eve`` unsubscribed from email), the ``sale`` template, small pages
    and an unlimited rate."""
    monkeypatch.setattr(service, "PAGE", 2)
    monkeypatch.setattr(service, "SEND_BATCH", 2)
    monkeypatch.setattr(service, "BUCKETS", Buckets(rates={"email": 1_000_000.0}))
    for name in PEOPLE:
        assert api.call(
            "PUT", f"/v1/contacts/{name}", {"email": f"{name}@example.com", "firstName": name}
        ).status_code in (
            200,
            201,
        )
    assert api.json("POST", "/v1/templates", TEMPLATE)[0] == 201
    assert api.json("POST", "/v1/lists", {"id": "vip", "name": "VIP"})[0] == 201
    status, body = api.json("POST", "/v1/lists/vip/members", {"externalIds": PEOPLE})
    assert status in (200, 202), body
    api.drain()
    return api


def unsubscribe(api: Any, name: str) -> None:
    set_consent(api.stores, f"x#{name}", "email", "unsubscribed", "test")


def outbox_to(api: Any) -> list[str]:
    status, body = api.json("GET", "/v1/outbox?limit=100")
    assert status == 200, body
    return sorted(i["to"]["email"] for i in body["items"])


def test_a_campaign_sends_once_to_each_member_and_reports_progress(shop):
    unsubscribe(shop, "eve")
    status, created = shop.json("POST", "/v1/campaigns", {"templateId": "sale", "audience": "vip", "tags": ["nov"]})
    assert status == 202, created
    assert created["status"] == "running" and created["channel"] == "email" and created["generation"] == 0
    shop.drain()
    status, found = shop.json("GET", f"/v1/campaigns/{created['id']}")
    assert status == 200
    assert found["status"] == "done"
    assert found["progress"] == {"queued": 5, "sent": 4, "failed": 0, "skipped": 1, "remaining": 0}
    assert outbox_to(shop) == [f"{n}@example.com" for n in ("ann", "bob", "cat", "dan")]
    # a redelivered page and send (the whole chain again) send nothing twice and count nothing twice
    shop.stores.publisher.publish([CampaignPageMsg(campaignId=created["id"])])
    service.run_send(
        shop.stores,
        CampaignSendMsg(campaignId=created["id"], contacts=["x#ann", "x#bob"]),
    )
    shop.drain()
    assert len(outbox_to(shop)) == 4
    assert shop.json("GET", f"/v1/campaigns/{created['id']}")[1]["progress"]["sent"] == 4
    # the listing, newest first, filtered by tag
    assert [c["id"] for c in shop.json("GET", "/v1/campaigns?tag=nov")[1]["items"]] == [created["id"]]
    assert shop.json("GET", "/v1/campaigns?tag=other")[1]["items"] == []


def test_the_report_counts_opens_clicks_and_orders_after_a_click(shop):
    created = shop.json("POST", "/v1/campaigns", {"templateId": "sale", "audience": "vip"})[1]
    shop.drain()
    items = shop.json("GET", "/v1/outbox?limit=100")[1]["items"]
    ann = next(i for i in items if i["to"]["email"] == "ann@example.com")
    links = re.findall(r'(?:href|src)="([^"]+)"', ann["content"]["html"])
    click = next(urlsplit(u).path for u in links if "/t/c/" in u)
    pixel = next(urlsplit(u).path for u in links if "/t/o/" in u)
    image = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}  # as browsers ask for images
    assert shop.call("GET", pixel, key=None, headers=image).status_code == 200
    assert shop.call("GET", click, key=None).status_code in (302, 303)
    now = shop.stores.clock.now()
    for order_id, status, at in (
        ("o-1", "DELIVERED", now + timedelta(hours=1)),  # within the window
        ("o-2", "DELIVERED", now + timedelta(days=5)),  # past it
        ("o-3", "CANCELLED", now + timedelta(hours=2)),  # not delivered
    ):
        order = {
            "externalOrderId": order_id,
            "contact": "x#ann",
            "status": status,
            "date": iso(at),
            "totalCost": "40.5",
            "currency": "EUR",
        }
        shop.stores.orders.save(order, None)  # as the consumer stores them (the API refuses future dates)
    shop.drain()
    status, report = shop.json("GET", f"/v1/campaigns/{created['id']}/report")
    assert status == 200, report
    assert report["sent"] == 5 and report["delivered"] == 5
    assert (report["opened"], report["clicked"], report["conversions"], report["revenue"]) == (1, 1, 1, 40.5)
    assert shop.json("GET", f"/v1/campaigns/{created['id']}/report?days=10")[1]["conversions"] == 2


def test_cancel_stops_further_sends(shop):
    created = shop.json("POST", "/v1/campaigns", {"templateId": "sale", "audience": "vip"})[1]
    status, cancelled = shop.json("POST", f"/v1/campaigns/{created['id']}/cancel")
    assert status == 200 and cancelled["status"] == "cancelled"
    shop.drain()
    assert outbox_to(shop) == []
    assert shop.json("POST", f"/v1/campaigns/{created['id']}/cancel")[1]["status"] == "cancelled"


def test_a_scheduled_campaign_starts_when_due(shop):
    clock = shop.stores.clock
    at = clock.now() + timedelta(hours=1)
    created = shop.json("POST", "/v1/campaigns", {"templateId": "sale", "audience": "vip", "sendAt": iso(at)})[1]
    assert created["status"] == "scheduled" and created["sendAt"] == iso(at)
    assert service.sweep_due(shop.stores) == 0
    shop.drain()
    assert outbox_to(shop) == []
    later = dataclasses.replace(shop.stores, clock=type(clock)(at + timedelta(minutes=1)))
    assert service.sweep_due(later) == 1
    assert later.campaigns.campaign(created["id"]).status == "running"
    shop.drain()
    assert len(outbox_to(shop)) == 5


def test_caps_skip_and_unknown_ids_are_refused(shop, monkeypatch):
    stores = dataclasses.replace(shop.stores, policies=Policies(caps={"email": Cap(daily=1)}))
    body = service.CampaignIn(templateId="sale", audience="vip")
    first = service.create(stores, body, "http://localhost")
    second = service.create(stores, body, "http://localhost")
    for campaign in (first, second):
        service.run_page(stores, CampaignPageMsg(campaignId=campaign.id))  # the first page: queued 2
    keys = [f"x#{n}" for n in PEOPLE]
    service.run_send(stores, CampaignSendMsg(campaignId=first.id, contacts=keys))
    service.run_send(stores, CampaignSendMsg(campaignId=second.id, contacts=keys))
    assert stores.campaigns.campaign(first.id).progress == {"queued": 2, "sent": 5}
    assert stores.campaigns.campaign(second.id).progress == {"queued": 2, "skipped": 5}  # over the daily cap
    assert shop.json("POST", "/v1/campaigns", {"templateId": "nope", "audience": "vip"})[0] == 400
    status, body = shop.json("POST", "/v1/campaigns", {"templateId": "sale", "audience": "nope"})
    assert status == 400 and body["error"]["details"][0]["path"] == "audience"
    assert shop.json("GET", "/v1/campaigns/cmp_nope")[0] == 404
