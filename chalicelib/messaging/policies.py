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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CAPPED = "capped"  # the failure of a message over a frequency cap


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

    def __post_init__(self) -> None:
        if self.hours is not None:
            start, end = self.hours
            if not (0 <= start <= 23 and 1 <= end <= 24 and start != end):
                raise ValueError(f"send hours must be two different hours from 0 to 24, not {self.hours}")
        for channel, cap in self.caps.items():
            for n in (cap.daily, cap.weekly):
                if n is not None and n < 0:
                    raise ValueError(f"the {channel} cap must not be negative")


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
