"""The stage's suppression list of addresses: email addresses and phone numbers no message goes to, whoever holds
them (independent of contacts and their consent). SES bounces and complaints add to it, operators add and lift
entries through ``/v1/suppressions``; every send checks it before calling the provider.

Addresses are kept normalised, so one address is one entry however it was written: an email lower-case, a phone
in E.164 (``+380501234567``; spaces, dashes and brackets dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import cursors
from chalicelib.errors import bad_cursor
from chalicelib.validation import normalize_email, normalize_phone

# the channels whose address is an email address or a phone number, and how each address is normalised
ADDRESS_CHANNELS = {"email": normalize_email, "sms": normalize_phone}
SUPPRESSED = "suppressed"  # the failure of a message to a suppressed address


@dataclass(frozen=True)
class AddressSuppression:
    """One suppressed address: on which channel, why, who added it (``ses``, ``api``) and when (ISO)."""

    channel: str
    address: str
    reason: str
    source: str
    at: str


def normalise(channel: str, address: str) -> str:
    """``address`` as the list keeps it. ValueError (its message says what is wrong) for a channel without
    addresses or an address that is not one."""
    normaliser = ADDRESS_CHANNELS.get(channel)
    if normaliser is None:
        raise ValueError(f"must be one of {', '.join(ADDRESS_CHANNELS)}")
    return normaliser(address)


def address_of(channel: str, to: dict[str, object]) -> str | None:
    """The normalised address a message on ``channel`` goes to (None: not an address channel, or none given)."""
    value = to.get("email" if channel == "email" else "phone") if channel in ADDRESS_CHANNELS else None
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalise(channel, value)
    except ValueError:
        return None


_CURSOR = "sp1."


def encode_cursor(channel: str, after: str) -> str:
    return cursors.encode_cursor(_CURSOR, {"ch": channel, "after": after})


def decode_cursor(channel: str, cursor: str) -> str:
    """The address a page continues after; InvalidInput for a cursor not from this channel's listing."""
    data = cursors.decode_cursor(_CURSOR, cursor)
    if data.get("ch") != channel or not isinstance(data.get("after"), str):
        raise bad_cursor()
    return str(data["after"])
