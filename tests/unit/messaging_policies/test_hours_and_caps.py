"""Policies on their own: send hours in the contact's zone, the weekly window, today's limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.messaging.policies import Cap, Policies, limit_today, next_allowed, week_before, zone


def at(hour: int, minute: int = 0, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_no_hours_means_any_time():
    assert next_allowed(Policies(), {}, at(3)) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(10), None),  # inside
        (at(9), None),  # the first allowed hour
        (at(20, 59), None),
        (at(21), at(9, day=28)),  # the window ends: tomorrow's start
        (at(3), at(9)),  # before the window: today's start
    ],
)
def test_hours_in_utc(now, expected):
    assert next_allowed(Policies(hours=(9, 21)), {}, now) == expected


def test_hours_are_the_contacts_local_ones():
    kyiv = {"timeZone": "Europe/Kyiv"}  # UTC+2 in November
    policies = Policies(hours=(9, 21))
    assert next_allowed(policies, kyiv, at(7)) is None  # 09:00 there
    assert next_allowed(policies, kyiv, at(6, 30)) == at(7)
    assert next_allowed(policies, kyiv, at(19)) == at(7, day=28)  # 21:00 there
    ny = {"timeZone": "America/New_York"}  # UTC-5
    assert next_allowed(policies, ny, at(13)) == at(14)


def test_unknown_or_missing_zones_fall_back_to_the_default():
    policies = Policies(hours=(9, 21), default_zone="Europe/Kyiv")
    assert next_allowed(policies, {"timeZone": "Mars/Olympus"}, at(6, 30)) == at(7)
    assert zone({}, "Nowhere/Else").key == "UTC"


def test_a_window_across_midnight():
    policies = Policies(hours=(22, 6))
    assert next_allowed(policies, {}, at(23)) is None
    assert next_allowed(policies, {}, at(2)) is None
    assert next_allowed(policies, {}, at(12)) == at(22)


def test_whole_day_and_bad_hours():
    assert next_allowed(Policies(hours=(0, 24)), {}, at(3)) is None
    with pytest.raises(ValueError, match="send hours"):
        Policies(hours=(9, 9))
    with pytest.raises(ValueError, match="cap"):
        Policies(caps={"email": Cap(daily=-1)})


def test_the_weekly_window_and_todays_limit():
    assert week_before("2026-12-02") == [f"2026-11-{d}" for d in (26, 27, 28, 29, 30)] + ["2026-12-01"]
    counts = {"2026-11-30": 2, "2026-12-01": 1, "2026-11-20": 9}  # the 20th is out of the window
    assert limit_today(Cap(daily=2, weekly=5), counts, "2026-12-02") == 2
    assert limit_today(Cap(weekly=5), counts, "2026-12-02") == 2
    assert limit_today(Cap(weekly=2), counts, "2026-12-02") == 0
    assert limit_today(Cap(), counts, "2026-12-02") is None
