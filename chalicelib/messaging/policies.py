"""Sending policies: frequency caps per contact per channel (daily and weekly) and allowed send hours in the
contact's time zone. Transactional messages bypass both; consent (``consent.py``) applies to every message.

* Caps count the messages sent (handed to the provider) per contact, channel and UTC day. The count is stored
  one item per (contact, channel, day) holding the ids of the messages counted (``CapCounter``): counting a
  message id again changes nothing, so retries and redeliveries of one message count once. Today's limit is the
  daily cap and what the weekly cap leaves after the six days before (past days no longer move). A message over
  a cap ends ``failed`` with the failure ``capped`` (a campaign reports it ``skipped``).
* Send hours ``[start, end)`` are local hours in the contact's ``timeZone`` (the policies' default zone when it
  has none or an unknown one). Outside them a message is not sent now but deferred to the next allowed moment
  (``next_allowed``): it stays ``pending`` and its sender tries again then; it is never dropped.
* Provider rates: campaign sends per second per provider, shared by every process (``services/messaging/pacing``).

The stage's settings name them (``from_settings``: ``ORBIT_CAPS``, ``ORBIT_SEND_HOURS``,
``ORBIT_DEFAULT_TIME_ZONE``, ``ORBIT_PROVIDER_RATES``; docs/messages.md, Sending policies).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.messaging.outbound import CHANNELS

CAPPED = "capped"  # the failure of a message over a frequency cap
# sends per second each provider takes by default (ORBIT_PROVIDER_RATES changes them): SES's and SNS's usual
# account quotas, Telegram's bot limit; providers not named are not paced across processes
DEFAULT_RATES: dict[str, int] = {"ses": 14, "sns": 20, "telegram": 30}


@dataclass(frozen=True)
class Cap:
    """At most ``daily`` messages a day and ``weekly`` in any seven days on a channel (None: no limit)."""

    daily: int | None = None
    weekly: int | None = None


@dataclass(frozen=True)
class Policies:
    """Caps per channel, allowed local send hours ``(start, end)`` (None: any hour) and the zone of contacts
    without one. The default applies nothing."""

    caps: Mapping[str, Cap] = field(default_factory=dict)
    hours: tuple[int, int] | None = None
    default_zone: str = "UTC"
    rates: Mapping[str, int] = field(default_factory=dict)  # campaign sends per second per provider, all processes
    problem: str | None = None  # a setting that did not parse: every message policies apply to fails with it

    def __post_init__(self) -> None:
        if self.hours is not None:
            start, end = self.hours
            if not (0 <= start <= 23 and 1 <= end <= 24 and start != end):
                raise ValueError(f"send hours must be two different hours from 0 to 24, not {self.hours}")
        for channel, cap in self.caps.items():
            for n in (cap.daily, cap.weekly):
                if n is not None and n < 0:
                    raise ValueError(f"the {channel} cap must not be negative")


def parse_caps(setting: str) -> dict[str, Cap]:
    """``ORBIT_CAPS``: ``channel=N/day,N/week`` groups separated by ``;`` (``email=2/day,5/week;sms=1/day``).
    ValueError naming the variable and the part that does not parse."""
    caps: dict[str, Cap] = {}
    for group in (g.strip() for g in setting.split(";")):
        if not group:
            continue
        channel, sep, limits = (part.strip() for part in group.partition("="))
        if not sep or not limits:
            raise ValueError(f"ORBIT_CAPS: {group!r} is not channel=N/day,N/week")
        if channel not in CHANNELS:
            raise ValueError(f"ORBIT_CAPS: {channel!r} is not a channel ({', '.join(CHANNELS)})")
        if channel in caps:
            raise ValueError(f"ORBIT_CAPS: {channel!r} is named twice")
        per: dict[str, int] = {}
        for limit in (part.strip() for part in limits.split(",")):
            found = re.fullmatch(r"(\d{1,6})\s*/\s*(day|week)", limit)
            if found is None:
                raise ValueError(f"ORBIT_CAPS: {limit!r} (for {channel}) is not N/day or N/week")
            if found[2] in per:
                raise ValueError(f"ORBIT_CAPS: {channel} has two /{found[2]} caps")
            per[found[2]] = int(found[1])
        caps[channel] = Cap(daily=per.get("day"), weekly=per.get("week"))
    return caps


def parse_hours(setting: str) -> tuple[int, int] | None:
    """``ORBIT_SEND_HOURS``: ``HH:00-HH:00`` local hours (``09:00-21:00``; ``22:00-08:00`` spans midnight; ``24:00``
    ends at midnight); empty: any hour. ValueError naming the variable and what is wrong."""
    if not setting.strip():
        return None
    found = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*", setting)
    if found is None:
        raise ValueError(f"ORBIT_SEND_HOURS: {setting!r} is not HH:00-HH:00 (like 09:00-21:00)")
    if any(minutes not in (None, "00") for minutes in (found[2], found[4])):
        raise ValueError(f"ORBIT_SEND_HOURS: {setting!r}: send hours start and end on the hour (HH:00)")
    start, end = int(found[1]), int(found[3])
    if not (0 <= start <= 23 and 1 <= end <= 24 and start != end):
        raise ValueError(f"ORBIT_SEND_HOURS: {setting!r}: two different hours, the start 00 to 23, the end 01 to 24")
    return start, end


def parse_zone(setting: str) -> str:
    """``ORBIT_DEFAULT_TIME_ZONE``: an IANA zone name (``Europe/Kyiv``); empty: UTC."""
    name = setting.strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"ORBIT_DEFAULT_TIME_ZONE: {name!r} is not an IANA time zone (like Europe/Kyiv)") from exc
    return name


def parse_rates(setting: str) -> dict[str, int]:
    """``ORBIT_PROVIDER_RATES``: ``provider=N`` pairs (sends per second, comma-separated) over ``DEFAULT_RATES``;
    ``provider=0`` takes the provider's limit away."""
    rates = dict(DEFAULT_RATES)
    for pair in (p.strip() for p in setting.split(",")):
        if not pair:
            continue
        provider, sep, rate = (part.strip() for part in pair.partition("="))
        if not sep or not provider or not re.fullmatch(r"\d{1,6}", rate):
            raise ValueError(f"ORBIT_PROVIDER_RATES: {pair!r} is not provider=N (sends per second)")
        rates[provider.lower()] = int(rate)
    return {provider: rate for provider, rate in rates.items() if rate > 0}


def from_settings(caps: str, hours: str, default_zone: str, rates: str) -> Policies:
    """The policies the stage's settings name. A setting that does not parse does not stop anything from
    starting: the policies carry its reason (``problem``), and every message they apply to fails with it."""
    try:
        return Policies(parse_caps(caps), parse_hours(hours), parse_zone(default_zone), parse_rates(rates))
    except ValueError as exc:
        return Policies(problem=str(exc))


def zone(profile: Mapping[str, Any], default: str) -> ZoneInfo:
    """The contact's time zone (``profile["timeZone"]``), else ``default``."""
    for name in (profile.get("timeZone"), default):
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _allowed(hour: int, start: int, end: int) -> bool:
    return start <= hour < end if start < end else (hour >= start or hour < end)  # a window across midnight


def next_allowed(policies: Policies, profile: Mapping[str, Any], now: datetime) -> datetime | None:
    """None when a message may go out at ``now``; else the next allowed moment (UTC), the start of the window."""
    if policies.hours is None:
        return None
    start, end = policies.hours
    local = now.astimezone(zone(profile, policies.default_zone))
    if _allowed(local.hour, start, end):
        return None
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, time(start), tzinfo=local.tzinfo)
    # a gap in local time (DST) may skip the start hour: the wall time still maps to a real instant
    return opening.astimezone(UTC)


def day_of(now: datetime) -> str:
    """The UTC day a send is counted on."""
    return now.astimezone(UTC).date().isoformat()


def week_before(today: str) -> list[str]:
    """The six days before ``today`` (oldest first): with it, the weekly cap's window."""
    d = date.fromisoformat(today)
    return [(d - timedelta(days=n)).isoformat() for n in range(6, 0, -1)]


def limit_today(cap: Cap, counts: Mapping[str, int], today: str) -> int | None:
    """How many messages today's counter may reach (None: no limit): the daily cap and what the weekly cap leaves
    after the six days before today."""
    limits: list[int] = []
    if cap.daily is not None:
        limits.append(cap.daily)
    if cap.weekly is not None:
        limits.append(max(0, cap.weekly - sum(counts.get(d, 0) for d in week_before(today))))
    return min(limits) if limits else None
