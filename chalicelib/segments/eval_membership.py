"""Membership and channel conditions: whether the contact is in a list or another segment, and whether it can
be reached (and is subscribed) on a channel.

``inList``/``inSegment``: the list / segment id is in ``facts.lists`` / ``facts.segments``.

Channels ``{"channel": ch, "status": ...}``: available = the contact can be reached there: ``email`` a
profile email, ``sms`` a phone, ``viber`` an active Viber identifier or a phone (Viber business messages are
addressed by phone number), ``telegram``/``mobilepush``/``webpush``/``appinbox`` an active identifier of that
type in ``channels``. ``unsubscribed`` = available and ``profile.consent[ch].status == "unsubscribed"``;
``subscribed`` = available and not unsubscribed; ``unavailable`` = not available.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.segments import filters
from chalicelib.segments.conditions import ChannelCondition, ListCondition, SegmentCondition
from chalicelib.segments.context import Context, LeafValue


def list_leaf(cond: ListCondition, ctx: Context) -> LeafValue:
    return LeafValue(cond.inList in ctx.facts.lists, {"list": cond.inList})


def segment_leaf(cond: SegmentCondition, ctx: Context) -> LeafValue:
    return LeafValue(cond.inSegment in ctx.facts.segments, {"segment": cond.inSegment})


def channel_leaf(cond: ChannelCondition, ctx: Context) -> LeafValue:
    record = ctx.facts.record
    profile = record.profile
    identifiers = [
        c
        for c in record.channels
        if isinstance(c, Mapping) and c.get("type") == cond.channel and c.get("active", True) is not False
    ]
    if cond.channel == "email":
        available = not filters.is_missing(profile.get("email"))
    elif cond.channel == "sms":
        available = not filters.is_missing(profile.get("phone"))
    elif cond.channel == "viber":
        available = bool(identifiers) or not filters.is_missing(profile.get("phone"))
    else:
        available = bool(identifiers)
    consent = profile.get("consent")
    entry = consent.get(cond.channel) if isinstance(consent, Mapping) else None
    status = entry.get("status") if isinstance(entry, Mapping) else None
    unsubscribed = available and status == "unsubscribed"
    value = {
        "available": available,
        "unavailable": not available,
        "subscribed": available and not unsubscribed,
        "unsubscribed": unsubscribed,
    }[cond.status]
    return LeafValue(value, {"available": available, "consent": status})
