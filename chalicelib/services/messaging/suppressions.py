"""The stage's address suppression list as operators and sends use it: add and lift an address, list a channel's,
and tell a send whether its address is suppressed (``send.py`` fails such a message ``suppressed`` before the
provider call). SES bounces and complaints add the addresses that failed (``callbacks.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from chalicelib.clock import iso
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.messaging.address_suppressions import ADDRESS_CHANNELS, AddressSuppression, address_of, normalise
from chalicelib.ports import Ports

log = logging.getLogger("orbit.messages")
API = "api"  # the source of entries operators add


def checked(channel: str, address: str) -> tuple[str, str]:
    """(channel, normalised address), or InvalidInput naming the bad part."""
    if channel not in ADDRESS_CHANNELS:
        raise InvalidInput(
            "Suppressions hold email addresses and phone numbers",
            [ErrorDetail("channel", f"must be one of {', '.join(ADDRESS_CHANNELS)}")],
        )
    try:
        return channel, normalise(channel, address)
    except ValueError as exc:
        raise InvalidInput(f"Not an {channel} address", [ErrorDetail("address", str(exc))]) from exc


def suppress(ports: Ports, channel: str, address: str, reason: str, source: str = API) -> AddressSuppression:
    """Put ``address`` on the list (again: with this reason and time)."""
    channel, normalised = checked(channel, address)
    entry = AddressSuppression(channel, normalised, reason, source, iso(ports.clock.now()))
    ports.addresses.suppress(entry)
    return entry


def suppress_failed(ports: Ports, channel: str, addresses: Iterable[str], reason: str, source: str) -> None:
    """Put the addresses a provider reported (bounced, complained) on the list; ones that do not parse are skipped."""
    for address in addresses:
        try:
            suppress(ports, channel, address, reason, source)
        except InvalidInput:
            log.info("a reported address is not an address", extra={"channel": channel, "source": source})


def lift(ports: Ports, channel: str, address: str) -> AddressSuppression:
    """Take ``address`` off the list and return its entry as it was; NotFound when it was not on it."""
    channel, normalised = checked(channel, address)
    entry = ports.addresses.suppression(channel, normalised)
    if entry is None or not ports.addresses.lift(channel, normalised):
        raise NotFound(f"{normalised} is not suppressed on {channel}")
    return entry


def listing(
    ports: Ports, channel: str, limit: int, cursor: str | None = None
) -> tuple[list[AddressSuppression], str | None]:
    if channel not in ADDRESS_CHANNELS:
        raise InvalidInput(
            "Suppressions hold email addresses and phone numbers",
            [ErrorDetail("channel", f"must be one of {', '.join(ADDRESS_CHANNELS)}")],
        )
    return ports.addresses.suppressions(channel, limit, cursor)


def blocking(ports: Ports, channel: str, to: dict[str, Any]) -> AddressSuppression | None:
    """The entry that keeps a message on ``channel`` to ``to`` from being sent (None: it may go)."""
    address = address_of(channel, to)
    return ports.addresses.suppression(channel, address) if address is not None else None
