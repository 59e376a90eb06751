"""CapCounter: a message id counts once per day, none past the limit, and counts read back per day."""

from __future__ import annotations

import pytest

from chalicelib.ports import CapCounter, Ports


@pytest.fixture
def caps(wired: Ports) -> CapCounter:
    return wired.caps


def test_a_message_counts_once_and_none_past_the_limit(caps: CapCounter):
    assert caps.count("x#ann", "email", "2026-11-27", "m1", 2)
    assert caps.count("x#ann", "email", "2026-11-27", "m1", 2)  # a retry: still counted, once
    assert caps.count("x#ann", "email", "2026-11-27", "m2", 2)
    assert not caps.count("x#ann", "email", "2026-11-27", "m3", 2)
    assert caps.count("x#ann", "email", "2026-11-27", "m2", 2)  # counted before the limit was reached
    assert caps.counts("x#ann", "email", ["2026-11-26", "2026-11-27"]) == {"2026-11-27": 2}


def test_days_channels_and_contacts_are_apart(caps: CapCounter):
    assert caps.count("x#ann", "email", "2026-11-25", "m1", None)
    assert caps.count("x#ann", "sms", "2026-11-26", "m2", 1)
    assert caps.count("x#bob", "email", "2026-11-26", "m3", 1)
    assert caps.count("x#ann", "email", "2026-11-26", "m4", 1)
    assert caps.counts("x#ann", "email", ["2026-11-21", "2026-11-25", "2026-11-26"]) == {
        "2026-11-25": 1,
        "2026-11-26": 1,
    }
    assert caps.counts("x#ann", "email", []) == {}


def test_a_limit_of_zero_counts_nothing_new(caps: CapCounter):
    assert not caps.count("x#ann", "email", "2026-11-27", "m1", 0)
    assert caps.count("x#ann", "email", "2026-11-28", "m2", None)
    assert caps.count("x#ann", "email", "2026-11-28", "m2", 0)  # counted before: a retry passes
    assert caps.counts("x#ann", "email", ["2026-11-27", "2026-11-28"]) == {"2026-11-28": 1}
