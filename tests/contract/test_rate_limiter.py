"""RateLimiter: a window counts up to its limit and no further, windows and names are apart, and concurrent
takers never pass the limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.ports import Ports, RateLimiter


@pytest.fixture
def rates(wired: Ports) -> RateLimiter:
    return wired.rates


def test_a_window_takes_up_to_its_limit(rates: RateLimiter):
    assert [rates.take("ses", 1_700_000_000, 3) for _ in range(5)] == [True, True, True, False, False]


def test_windows_and_names_are_apart(rates: RateLimiter):
    assert rates.take("ses", 1_700_000_000, 1)
    assert not rates.take("ses", 1_700_000_000, 1)
    assert rates.take("ses", 1_700_000_001, 1)
    assert rates.take("sns", 1_700_000_000, 1)


def test_a_higher_limit_lets_more_into_a_window(rates: RateLimiter):
    assert rates.take("ses", 1_700_000_000, 1)
    assert not rates.take("ses", 1_700_000_000, 1)
    assert rates.take("ses", 1_700_000_000, 2)


def test_a_limit_of_zero_takes_nothing(rates: RateLimiter):
    assert not rates.take("ses", 1_700_000_000, 0)
    assert rates.take("ses", 1_700_000_000, 1)


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_takers_never_pass_the_limit(rates: RateLimiter):
    windows = [1_700_000_000, 1_700_000_001]

    def take(n: int) -> tuple[int, bool]:
        window = windows[n % 2]
        return window, rates.take("ses", window, 7)

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(take, range(40)))
    assert [window for window, ok in taken if ok].count(windows[0]) == 7
    assert [window for window, ok in taken if ok].count(windows[1]) == 7
