"""AddressSuppressions: an address is on the list until lifted, entries list per channel in address order across
pages, and a cursor from elsewhere is refused."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.messaging.address_suppressions import AddressSuppression
from chalicelib.ports import AddressSuppressions, Ports


@pytest.fixture
def addresses(wired: Ports) -> AddressSuppressions:
    return wired.addresses


def entry(address: str, channel: str = "email", reason: str = "bounced", source: str = "ses") -> AddressSuppression:
    return AddressSuppression(channel, address, reason, source, "2026-11-27T12:00:00+00:00")


def test_a_suppressed_address_is_found_with_its_entry(addresses: AddressSuppressions):
    addresses.suppress(entry("ann@example.com"))
    assert addresses.suppression("email", "ann@example.com") == entry("ann@example.com")
    assert addresses.suppression("email", "bob@example.com") is None
    assert addresses.suppression("sms", "ann@example.com") is None


def test_suppressing_again_keeps_one_entry_with_the_latest_reason(addresses: AddressSuppressions):
    addresses.suppress(entry("ann@example.com"))
    addresses.suppress(entry("ann@example.com", reason="complained"))
    assert addresses.suppression("email", "ann@example.com") == entry("ann@example.com", reason="complained")
    assert [e.address for e in addresses.suppressions("email", 10)[0]] == ["ann@example.com"]


def test_lifting_takes_an_address_off_once(addresses: AddressSuppressions):
    addresses.suppress(entry("+380501234567", channel="sms"))
    assert addresses.lift("sms", "+380501234567")
    assert addresses.suppression("sms", "+380501234567") is None
    assert not addresses.lift("sms", "+380501234567")


def test_a_channel_lists_in_address_order_across_pages(addresses: AddressSuppressions):
    names = [f"u{n:02}@example.com" for n in range(7)]
    for name in reversed(names):
        addresses.suppress(entry(name))
    addresses.suppress(entry("+380501234567", channel="sms"))
    listed, cursor = [], None
    for _ in range(10):
        page, cursor = addresses.suppressions("email", 3, cursor)
        assert len(page) <= 3
        listed += [e.address for e in page]
        if cursor is None:
            break
    assert listed == names


def test_a_cursor_from_another_channel_is_refused(addresses: AddressSuppressions):
    for n in range(3):
        addresses.suppress(entry(f"u{n}@example.com"))
    _, cursor = addresses.suppressions("email", 1)
    assert cursor is not None
    with pytest.raises(InvalidInput):
        addresses.suppressions("sms", 1, cursor)
    with pytest.raises(InvalidInput):
        addresses.suppressions("email", 1, "not-a-cursor")
