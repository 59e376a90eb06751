"""The segment oracle: a rule's truth at a moment, computed from scratch over the raw data (the contact's
profile and fields, every event it sent, its counting orders), with none of the evaluator's machinery: no
counters, no buckets, no next moments. ``tests/properties/test_segment_rules.py`` checks ``evaluate`` against
it. It covers the operators that test generates, spelled out the way docs/segments.md states them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.events.models import Event
from chalicelib.segments.rules import (
    MESSAGE_EVENTS,
    AllGroup,
    AnyGroup,
    ChannelCondition,
    Condition,
    EventCondition,
    FieldCondition,
    ListCondition,
    MessageCondition,
    NotGroup,
    OrdersCondition,
    PropertyFilter,
    SegmentCondition,
    Window,
)


@dataclass(frozen=True)
class PlacedOrder:
    """A delivered order as it finally counts."""

    at: datetime
    currency: str
    total: Decimal


@dataclass
class World:
    profile: dict[str, Any]
    fields: dict[str, Any]
    field_types: dict[str, str]
    events: list[Event]
    orders: list[PlacedOrder]
    channels: list[dict[str, Any]] = field(default_factory=list)
    lists: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    external_id: str = "u-1"


def holds(cond: Condition, world: World, now: datetime) -> bool:
    if isinstance(cond, AllGroup):
        return all(holds(c, world, now) for c in cond.all)
    if isinstance(cond, AnyGroup):
        return any(holds(c, world, now) for c in cond.any)
    if isinstance(cond, NotGroup):
        return not holds(cond.not_, world, now)
    if isinstance(cond, FieldCondition):
        return _field(cond, world, now)
    if isinstance(cond, EventCondition):
        return _events(cond.event, cond.where, cond, world, now)
    if isinstance(cond, MessageCondition):
        where = [PropertyFilter(property="channel", op="eq", value=cond.channel)] if cond.channel else []
        return _events(MESSAGE_EVENTS[cond.message], where, cond, world, now)
    if isinstance(cond, OrdersCondition):
        return _orders(cond, world, now)
    if isinstance(cond, ListCondition):
        return cond.inList in world.lists
    if isinstance(cond, SegmentCondition):
        return cond.inSegment in world.segments
    if isinstance(cond, ChannelCondition):
        return _channel(cond, world)
    raise AssertionError(cond)


def member(rule: Condition, exclude: Condition | None, world: World, now: datetime) -> bool:
    return holds(rule, world, now) and not (exclude is not None and holds(exclude, world, now))


# --- fields -------------------------------------------------------------------------------------------------------


def _zone(world: World) -> Any:
    name = world.profile.get("timeZone")
    return ZoneInfo(name) if name else UTC


def _field(cond: FieldCondition, world: World, now: datetime) -> bool:
    if cond.field.startswith("fields."):
        raw = world.fields.get(cond.field[7:])
        kind = world.field_types[cond.field[7:]]
    else:
        raw = world.profile.get(cond.field)
        kind = "string"
    missing = raw is None or raw == "" or raw == []
    if cond.op == "isSet":
        return not missing
    if cond.op == "isEmpty":
        return missing
    if missing:
        return cond.op in ("ne", "notIn")
    tz = _zone(world)
    today = now.astimezone(tz).date()
    v = cond.value
    if kind == "string":
        return _text(cond.op, raw, v)
    if kind == "stringList":
        if cond.op == "ne":
            return v not in raw
        if cond.op == "notIn":
            return not any(x in v for x in raw)
        return any(_text(cond.op, x, v) for x in raw)
    if kind == "number":
        return _number(cond.op, Decimal(str(raw)), v)
    return _dated(cond, kind, raw, tz, today)


def _dated(cond: FieldCondition, kind: str, raw: str, tz: Any, today: date) -> bool:
    v = cond.value
    if kind == "date":
        day = date.fromisoformat(raw)
    else:
        moment = datetime.fromisoformat(raw).astimezone(UTC)
        day = moment.astimezone(tz).date()
    n = cond.days or 0
    if cond.op == "withinLast":
        return today - timedelta(days=n) <= day <= today
    if cond.op == "withinNext":
        return today <= day <= today + timedelta(days=n)
    if cond.op == "anniversaryWithin":
        return any(_is_anniversary(day, today + timedelta(days=k)) for k in range(n + 1))
    if cond.op in ("before", "after"):
        if len(v) == 10 or kind == "date":
            other = date.fromisoformat(v[:10])
            return day < other if cond.op == "before" else day > other
        limit = datetime.fromisoformat(v).astimezone(UTC)
        return moment < limit if cond.op == "before" else moment > limit
    raise AssertionError(cond.op)


def _is_anniversary(born: date, day: date) -> bool:
    if (born.month, born.day) == (day.month, day.day):
        return True
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    return (born.month, born.day) == (2, 29) and not leap and (day.month, day.day) == (2, 28)


def _text(op: str, x: str, v: Any) -> bool:
    if op == "eq":
        return x == v
    if op == "ne":
        return x != v
    if op == "in":
        return x in v
    if op == "notIn":
        return x not in v
    if op == "contains":
        return v.lower() in x.lower()
    if op == "startsWith":
        return x.lower().startswith(v.lower())
    if op == "endsWith":
        return x.lower().endswith(v.lower())
    raise AssertionError(op)


def _number(op: str, x: Decimal, v: Any) -> bool:
    if op == "in":
        return any(x == Decimal(str(y)) for y in v)
    if op == "notIn":
        return not any(x == Decimal(str(y)) for y in v)
    if op == "between":
        return Decimal(str(v[0])) <= x <= Decimal(str(v[1]))
    y = Decimal(str(v))
    return {"eq": x == y, "ne": x != y, "gt": x > y, "gte": x >= y, "lt": x < y, "lte": x <= y}[op]


# --- events -------------------------------------------------------------------------------------------------------


def _passes(f: PropertyFilter, properties: dict[str, Any]) -> bool:
    raw = properties.get(f.property)
    if f.op in ("isSet", "isEmpty"):
        return (raw is None or raw == "") == (f.op == "isEmpty")
    if raw is None or raw == "":
        return f.op in ("ne", "notIn")
    if isinstance(f.value, int | float) or (isinstance(f.value, list) and isinstance(f.value[0], int | float)):
        try:
            number = Decimal(str(raw))
        except ArithmeticError:
            return f.op in ("ne", "notIn")
        return _number(f.op, number, f.value)
    return _text(f.op, str(raw), f.value)


def _within(ts: datetime, window: Window, now: datetime) -> bool:
    if window.days is not None:
        today = now.astimezone(UTC).date()
        return today - timedelta(days=window.days - 1) <= ts.astimezone(UTC).date() <= today
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=(window.hours or 0) - 1) <= start <= hour


def _span(window: Window) -> timedelta:
    return timedelta(days=window.days) if window.days is not None else timedelta(hours=window.hours or 0)


def _events(event_type: str, where: list[PropertyFilter], cond: Any, world: World, now: datetime) -> bool:
    matching = [e for e in world.events if e.type == event_type and all(_passes(f, e.properties) for f in where)]
    counted = matching
    if cond.within is not None:
        counted = [e for e in matching if _within(e.timestamp, cond.within, now)]
    elif getattr(cond, "between", None) is not None:
        counted = [e for e in matching if cond.between.from_ <= e.timestamp < cond.between.to]
    if not _number(cond.count.op, Decimal(len(counted)), cond.count.value):
        return False
    for name in ("first", "last"):
        ago = getattr(cond, name, None)
        if ago is None:
            continue
        if not matching:
            return False
        times = [e.timestamp for e in matching]
        moment = min(times) if name == "first" else max(times)
        if ago.olderThan is not None and not moment <= now - _span(ago.olderThan):
            return False
        if ago.newerThan is not None and not moment > now - _span(ago.newerThan):
            return False
    return True


# --- orders -------------------------------------------------------------------------------------------------------


def _orders(cond: OrdersCondition, world: World, now: datetime) -> bool:
    orders = world.orders
    if cond.orders in ("lastOrderAt", "firstOrderAt"):
        if not orders:
            return cond.op == "isEmpty"
        moments = [o.at for o in orders]
        moment = max(moments) if cond.orders == "lastOrderAt" else min(moments)
        if cond.op == "isSet":
            return True
        if cond.op == "isEmpty":
            return False
        if cond.ago is not None:
            if cond.ago.olderThan is not None:
                return moment <= now - _span(cond.ago.olderThan)
            assert cond.ago.newerThan is not None
            return moment > now - _span(cond.ago.newerThan)
        if len(cond.value) == 10:
            day, other = moment.astimezone(_zone(world)).date(), date.fromisoformat(cond.value)
            return day < other if cond.op == "before" else day > other
        limit = datetime.fromisoformat(cond.value).astimezone(UTC)
        return moment < limit if cond.op == "before" else moment > limit
    if cond.within is not None:
        today = now.astimezone(UTC).date()
        first_day = today - timedelta(days=(cond.within.days or 1) - 1)
        orders = [o for o in orders if first_day <= o.at.astimezone(UTC).date() <= today]
    if cond.currency is not None:
        chosen = [o for o in orders if o.currency == cond.currency]
        currency: str | None = cond.currency
    else:
        currencies = {o.currency for o in orders}
        chosen = orders
        currency = next(iter(currencies)) if len(currencies) == 1 else None
        if cond.orders != "count" and len(currencies) > 1:
            return False
    if cond.orders == "count":
        return _number(cond.op or "", Decimal(len(chosen)), cond.value)
    revenue = sum((o.total for o in chosen), Decimal(0))
    if cond.orders == "revenue":
        return _number(cond.op or "", revenue, cond.value)
    if not chosen or currency is None:
        return False
    average = (revenue / len(chosen)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return _number(cond.op or "", average, cond.value)


# --- channels -----------------------------------------------------------------------------------------------------


def _channel(cond: ChannelCondition, world: World) -> bool:
    if cond.channel == "email":
        available = bool(world.profile.get("email"))
    elif cond.channel == "sms":
        available = bool(world.profile.get("phone"))
    else:
        available = any(c["type"] == cond.channel and c.get("active", True) for c in world.channels)
        if cond.channel == "viber":
            available = available or bool(world.profile.get("phone"))
    status = ((world.profile.get("consent") or {}).get(cond.channel) or {}).get("status")
    out = status == "unsubscribed"
    return {
        "available": available,
        "unavailable": not available,
        "subscribed": available and not out,
        "unsubscribed": available and out,
    }[cond.status]
