"""When a wait ends, in the contact's time zone, and the seconds Step Functions waits under a time scale."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.workflows.blocks import Wait
from chalicelib.workflows.waits import scaled, wait_ends

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday


def block(**spec) -> Wait:
    return Wait.model_validate({"type": "wait", "next": "x", **spec})


def test_a_duration_adds_to_now():
    assert wait_ends(block(duration={"days": 1, "hours": 2}), NOW, {}, {}, {}) == datetime(
        2026, 11, 28, 14, 0, tzinfo=UTC
    )


def test_until_a_weekday_and_time_is_local_to_the_contact():
    ends = wait_ends(block(until={"weekday": "mon", "time": "10:00"}), NOW, {"timeZone": "Europe/Kyiv"}, {}, {})
    assert ends == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv (UTC+2)


def test_until_a_time_already_past_today_is_tomorrow():
    assert wait_ends(block(until={"time": "09:00"}), NOW, {}, {}, {}) == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_until_a_date_field_moved_by_an_offset():
    spec = {"field": "fields.renewal", "offsetDays": -3, "time": "08:00"}
    ends = wait_ends(block(untilDate=spec), NOW, {"timeZone": "UTC"}, {"renewal": "2026-12-20"}, {})
    assert ends == datetime(2026, 12, 17, 8, 0, tzinfo=UTC)


def test_until_a_trigger_property_date():
    trigger = {"properties": {"delivery": "2026-12-01T15:30:00+00:00"}}
    assert wait_ends(block(untilDate={"property": "delivery"}), NOW, {}, {}, trigger) == datetime(
        2026, 12, 1, 15, 30, tzinfo=UTC
    )


def test_a_missing_or_past_date_ends_at_once():
    assert wait_ends(block(untilDate={"field": "fields.none"}), NOW, {}, {}, {}) == NOW
    assert wait_ends(block(untilDate={"field": "fields.old"}), NOW, {}, {"old": "2020-01-01"}, {}) == NOW


def test_seconds_are_divided_by_the_time_scale_and_rounded_up():
    assert scaled(3600, 3600.0) == 1
    assert scaled(3601, 3600.0) == 2
    assert scaled(86400, 1.0) == 86400
    assert scaled(0, 10.0, at_least=1) == 1
