"""Policies applied by the send: caps count sent messages once under retries, send hours defer without
dropping, and transactional messages bypass both, never consent."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.messaging.outbound import FAILED, PENDING, SENT
from chalicelib.messaging.policies import CAPPED, Cap, Policies
from chalicelib.ports import Ports
from chalicelib.services.messaging.consent import set_consent
from chalicelib.services.messaging.send import send
from tests.fakes import NOW, FakeCapCounter
from tests.unit.messaging_send.support import request, wired

TODAY = NOW.date().isoformat()


def with_policies(policies: Policies, **profile: Any) -> Ports:
    return dataclasses.replace(wired(**profile), policies=policies)


def counter(ports: Ports) -> FakeCapCounter:
    assert isinstance(ports.caps, FakeCapCounter)
    return ports.caps


def test_the_daily_cap_fails_the_message_past_it_and_a_retry_counts_once():
    ports = with_policies(Policies(caps={"email": Cap(daily=2)}))
    first = send(ports, request(origin="c:1")).message
    assert send(ports, request(origin="c:1")).repeated  # a retry of the first: not counted again
    second = send(ports, request(origin="c:2")).message
    third = send(ports, request(origin="c:3")).message
    assert (first.status, second.status) == (SENT, SENT)
    assert (third.status, third.failure) == (FAILED, CAPPED)
    assert ports.caps.counts("x#ann", "email", [TODAY]) == {TODAY: 2}
    # a failed send is not counted, and SMS has no cap here
    code = send(ports, request("code", origin="c:4", data={"code": "1"})).message
    assert code.failure != CAPPED and ports.caps.counts("x#ann", "sms", [TODAY]) == {}


def test_the_weekly_cap_counts_the_six_days_before():
    ports = with_policies(Policies(caps={"email": Cap(weekly=2)}))
    for n, days_ago in enumerate((6, 3)):
        ports.caps.count("x#ann", "email", (NOW - timedelta(days=days_ago)).date().isoformat(), f"old{n}", None)
    capped = send(ports, request(origin="c:1")).message
    assert (capped.status, capped.failure) == (FAILED, CAPPED)
    counter(ports).days.pop(("x#ann", "email", (NOW - timedelta(days=6)).date().isoformat()))
    assert send(ports, request(origin="c:2")).message.status == SENT


def test_transactional_messages_bypass_caps_and_hours_but_never_consent():
    ports = with_policies(Policies(caps={"email": Cap(daily=0)}, hours=(0, 1)))  # NOW is 12:00 UTC
    sent = send(ports, request(origin="api:t1", transactional=True))
    assert sent.message.status == SENT and sent.deferred_until is None
    assert ports.caps.counts("x#ann", "email", [TODAY]) == {}  # not counted
    set_consent(ports, "x#ann", "email", "unsubscribed", "test")
    refused = send(ports, request(origin="api:t2", transactional=True)).message
    assert refused.status == FAILED and refused.failure == "unsubscribed"


def test_outside_the_hours_a_message_is_deferred_then_sent_once():
    ports = with_policies(Policies(hours=(18, 21)), email="ann@example.com", firstName="Ann", timeZone="Europe/Kyiv")
    deferred = send(ports, request(origin="c:1"))
    assert deferred.message.status == PENDING
    assert deferred.deferred_until == "2026-11-27T16:00:00.000Z"  # 18:00 in Kyiv
    assert ports.messages.outbox(10)[0] == []  # nothing went out, nothing dropped
    clock = ports.clock
    assert isinstance(clock, FixedClock)
    clock.advance(hours=4)
    again = send(ports, request(origin="c:1"))
    assert again.repeated and again.deferred_until is None
    assert again.message.id == deferred.message.id and again.message.status == SENT
    assert len(ports.messages.outbox(10)[0]) == 1
