"""Policies from the stage's settings: ORBIT_CAPS, ORBIT_SEND_HOURS, ORBIT_DEFAULT_TIME_ZONE and
ORBIT_PROVIDER_RATES parse into ``Policies``; a setting that does not parse names the variable and the bad part,
and fails the sends policies apply to (not transactional ones) instead of stopping anything from starting."""

from __future__ import annotations

import pytest

from chalicelib.messaging import policies
from chalicelib.messaging.outbound import FAILED, SENT, UNCONFIGURED
from chalicelib.messaging.policies import DEFAULT_RATES, Cap
from chalicelib.settings import Settings, settings_from_env
from tests.unit.messaging_send.support import sent, wired


def test_caps_parse_per_channel():
    assert policies.parse_caps("email=2/day,5/week; sms = 1/day") == {
        "email": Cap(daily=2, weekly=5),
        "sms": Cap(daily=1),
    }
    assert policies.parse_caps("") == {}


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("email", "'email' is not channel=N/day,N/week"),
        ("fax=1/day", "'fax' is not a channel"),
        ("email=2/month", "'2/month' (for email) is not N/day or N/week"),
        ("email=1/day,2/day", "email has two /day caps"),
        ("email=1/day;email=2/week", "'email' is named twice"),
    ],
)
def test_a_bad_cap_names_the_variable_and_the_part(setting: str, named: str):
    with pytest.raises(ValueError, match="ORBIT_CAPS") as caught:
        policies.parse_caps(setting)
    assert named in str(caught.value)


def test_send_hours_parse_as_whole_hours():
    assert policies.parse_hours("09:00-21:00") == (9, 21)
    assert policies.parse_hours("22:00-08:00") == (22, 8)  # across midnight
    assert policies.parse_hours("8-24") == (8, 24)
    assert policies.parse_hours(" ") is None


@pytest.mark.parametrize(
    ("setting", "named"),
    [("9am-5pm", "is not HH:00-HH:00"), ("09:30-21:00", "on the hour"), ("10:00-10:00", "two different hours")],
)
def test_bad_send_hours_name_the_variable(setting: str, named: str):
    with pytest.raises(ValueError, match="ORBIT_SEND_HOURS") as caught:
        policies.parse_hours(setting)
    assert named in str(caught.value)


def test_the_default_zone_must_be_a_time_zone():
    assert policies.parse_zone("Europe/Kyiv") == "Europe/Kyiv"
    assert policies.parse_zone("") == "UTC"
    with pytest.raises(ValueError, match="ORBIT_DEFAULT_TIME_ZONE: 'Mars/Olympus'"):
        policies.parse_zone("Mars/Olympus")


def test_provider_rates_override_the_defaults_and_zero_removes_one():
    assert policies.parse_rates("") == DEFAULT_RATES
    rates = policies.parse_rates("ses=50, Twilio=10, sns=0")
    assert rates == {**{k: v for k, v in DEFAULT_RATES.items() if k != "sns"}, "ses": 50, "twilio": 10}
    with pytest.raises(ValueError, match="ORBIT_PROVIDER_RATES: 'ses=fast'"):
        policies.parse_rates("ses=fast")


def test_policies_come_from_the_environment():
    settings = settings_from_env(
        {
            "ORBIT_CAPS": "email=2/day",
            "ORBIT_SEND_HOURS": "09:00-21:00",
            "ORBIT_DEFAULT_TIME_ZONE": "Europe/Kyiv",
            "ORBIT_PROVIDER_RATES": "ses=5",
        }
    )
    found = policies.from_settings(
        settings.caps, settings.send_hours, settings.default_time_zone, settings.provider_rates
    )
    assert found.caps == {"email": Cap(daily=2)}
    assert found.hours == (9, 21)
    assert found.default_zone == "Europe/Kyiv"
    assert found.rates["ses"] == 5
    assert found.problem is None


def test_a_bad_setting_becomes_the_problem_and_applies_nothing_else():
    found = policies.from_settings("email=2/day", "09:30-21:00", "UTC", "")
    assert found.problem is not None and found.problem.startswith("ORBIT_SEND_HOURS")
    assert found.caps == {} and found.hours is None


def test_a_bad_setting_fails_marketing_sends_with_its_reason_but_not_transactional_ones():
    ports = wired(Settings(caps="email=lots"))
    failed = sent(ports).message
    assert failed.status == FAILED and failed.failure == UNCONFIGURED
    assert failed.reason is not None and failed.reason.startswith("ORBIT_CAPS: 'lots'")
    assert sent(ports, origin="api:r-2", transactional=True).message.status == SENT
