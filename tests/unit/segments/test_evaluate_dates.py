"""Relative dates in the contact's time zone, anniversaries (year end, 29 February) and their exact moments."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.segments import timing
from tests.unit.segments.support import contact, verdict

TYPES = {"born": "date", "seen": "datetime"}


def birthday(born: str, days: int, now: datetime, zone: str | None = None):
    profile = {"timeZone": zone} if zone else {}
    rule = {"field": "fields.born", "op": "anniversaryWithin", "days": days}
    return verdict(rule, contact(profile=profile, fields={"born": born}), now, field_types=TYPES)


def test_an_anniversary_within_the_next_days_holds_until_the_day_after_it():
    found = birthday("1990-12-01", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (True, datetime(2026, 12, 2, tzinfo=UTC))


def test_an_anniversary_further_away_starts_holding_n_days_before_it():
    found = birthday("1990-12-20", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (False, datetime(2026, 12, 13, tzinfo=UTC))


def test_an_anniversary_window_crosses_the_year_end():
    found = birthday("1985-01-02", 5, datetime(2026, 12, 30, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (True, datetime(2027, 1, 3, tzinfo=UTC))


@pytest.mark.parametrize(
    ("today", "member"),
    [(date(2027, 2, 28), True), (date(2027, 3, 1), False), (date(2028, 2, 28), False), (date(2028, 2, 29), True)],
)
def test_29_february_is_28_february_in_years_without_it(today: date, member: bool):
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    assert birthday("1992-02-29", 0, now).member is member


def test_a_29_february_anniversary_moves_back_to_the_28th_after_a_leap_year():
    found = birthday("1992-02-29", 0, datetime(2028, 3, 1, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (False, datetime(2029, 2, 28, tzinfo=UTC))


def test_an_anniversary_within_365_days_always_holds():
    found = birthday("1990-06-01", 365, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (True, None)


def test_anniversaries_use_the_contacts_local_day():
    now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # already 1 December in Kyiv (UTC+2)
    assert birthday("1990-12-01", 0, now, "Europe/Kyiv").member
    assert not birthday("1990-12-01", 0, now).member


def test_the_next_moment_is_the_contacts_local_midnight():
    found = birthday("1990-12-01", 0, datetime(2026, 11, 30, 12, tzinfo=UTC), "Asia/Kolkata")
    assert found.next_change == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 00:00 in Kolkata (UTC+5:30)


def test_a_local_midnight_skipped_by_daylight_saving_starts_the_day_when_the_clock_jumps():
    # Havana moves its clocks from 00:00 to 01:00 on 14 March 2027: the day starts at 05:00 UTC
    assert timing.day_start(date(2027, 3, 14), timing.zone("America/Havana")) == datetime(2027, 3, 14, 5, tzinfo=UTC)


def relative(op: str, value: str, days: int, now: datetime, zone: str | None = None, name: str = "born"):
    profile = {"timeZone": zone} if zone else {}
    rule = {"field": f"fields.{name}", "op": op, "days": days}
    return verdict(rule, contact(profile=profile, fields={name: value}), now, field_types=TYPES)


def test_within_last_holds_from_the_day_through_n_days_after():
    found = relative("withinLast", "2026-11-20", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (True, datetime(2026, 11, 28, tzinfo=UTC))


def test_within_last_of_a_future_date_starts_on_that_date():
    found = relative("withinLast", "2026-12-05", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (False, datetime(2026, 12, 5, tzinfo=UTC))


def test_within_last_of_a_long_past_date_never_holds_again():
    found = relative("withinLast", "2026-01-01", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert (found.member, found.next_change) == (False, None)


def test_within_next_holds_from_n_days_before_through_the_day():
    before = relative("withinNext", "2026-12-10", 7, datetime(2026, 11, 27, 12, tzinfo=UTC))
    during = relative("withinNext", "2026-12-10", 7, datetime(2026, 12, 5, 12, tzinfo=UTC))
    assert (before.member, before.next_change) == (False, datetime(2026, 12, 3, tzinfo=UTC))
    assert (during.member, during.next_change) == (True, datetime(2026, 12, 11, tzinfo=UTC))


def test_a_date_time_is_taken_at_its_local_date():
    seen = "2026-11-20T23:30:00+00:00"  # 21 November in Kyiv
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    utc = relative("withinLast", seen, 6, now, name="seen")
    kyiv = relative("withinLast", seen, 6, now, "Europe/Kyiv", name="seen")
    assert (utc.member, kyiv.member) == (False, True)
    assert kyiv.next_change == datetime(2026, 11, 27, 22, tzinfo=UTC)  # Kyiv's midnight starting 28 November


def test_before_a_date_compares_a_date_times_local_date():
    rule = {"field": "fields.seen", "op": "before", "value": "2026-11-21"}
    record = contact(profile={"timeZone": "America/New_York"}, fields={"seen": "2026-11-21T03:00:00Z"})
    assert verdict(rule, record, field_types=TYPES).member  # 20 November, 22:00 in New York


def test_before_a_time_compares_instants():
    rule = {"field": "fields.seen", "op": "before", "value": "2026-11-21T04:00:00+01:00"}
    assert verdict(rule, contact(fields={"seen": "2026-11-21T02:59:00Z"}), field_types=TYPES).member


def test_an_unknown_time_zone_is_utc():
    now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert not birthday("1990-12-01", 0, now, "Mars/Olympus").member


def test_a_relative_date_explains_the_date_and_today_it_compared():
    found = relative("withinLast", "2026-11-20", 7, datetime(2026, 11, 27, 23, tzinfo=UTC), "Europe/Kyiv")
    assert found.explanation[0].used == {
        "value": "2026-11-20",
        "type": "date",
        "timeZone": "Europe/Kyiv",
        "date": "2026-11-20",
        "today": "2026-11-28",
    }


def test_the_moment_is_exact_just_before_it_nothing_changes():
    found = birthday("1990-12-20", 7, datetime(2026, 11, 27, 12, tzinfo=UTC), "Pacific/Kiritimati")
    assert found.next_change is not None
    just_before = birthday("1990-12-20", 7, found.next_change - timedelta(microseconds=1), "Pacific/Kiritimati")
    at = birthday("1990-12-20", 7, found.next_change, "Pacific/Kiritimati")
    assert (just_before.member, at.member) == (False, True)
