"""Segment evaluation agrees with a from-scratch oracle (``segment_oracle.py``) whatever the contact, its events
(arriving late, out of order, in batches, some before the segment registered its counters), its orders
(delivered, cancelled, corrected, moved to another day) and the rule; and time moving forward changes
membership only at the moments ``evaluate`` announces: just before each announced moment every condition
still has its value, and at the moment a condition's own value has flipped (conditions' moments are exact).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.contacts import aggregates
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event, Identity
from chalicelib.segments import counter_specs, counters
from chalicelib.segments.evaluate import Explained, Facts, evaluate
from chalicelib.segments.rules import Condition, parse_condition
from tests.properties import segment_oracle as oracle
from tests.properties.segment_oracle import PlacedOrder, World

WINDOW = 90
TYPES = ("Product Viewed", "Page Viewed", "Message Clicked", "Login")
ZONES = (None, "UTC", "Europe/Kyiv", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "America/Havana")
BASES = (
    datetime(2026, 12, 31, 21, 30, tzinfo=UTC),  # a year's end, already next year east of UTC
    datetime(2028, 2, 28, 23, 0, tzinfo=UTC),  # before a 29 February
    datetime(2027, 3, 14, 6, 59, tzinfo=UTC),  # a daylight-saving change in New York
    datetime(2027, 3, 12, 12, 0, tzinfo=UTC),  # Havana's clocks skip midnight the next night
    datetime(2027, 6, 30, 23, 58, tzinfo=UTC),  # events ahead of the clock fall on the next day
)
BIRTHDAYS = ("1992-02-29", "1990-12-31", "1991-01-01", "1985-03-01", "2000-03-14", "1979-02-28")
TYPES_BY_FIELD = {
    "birthday": "date",
    "lastVisit": "datetime",
    "score": "number",
    "city": "string",
    "tags": "stringList",
}
MICRO = timedelta(microseconds=1)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- rules --------------------------------------------------------------------------------------------------------

small = st.integers(min_value=0, max_value=4)
a_count = st.one_of(
    st.builds(lambda op, n: {"op": op, "value": n}, st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]), small),
    st.builds(lambda n, k: {"op": "between", "value": [n, n + k]}, small, small),
)
an_ago = st.builds(
    lambda side, unit, n: {side: {unit: n}},
    st.sampled_from(["olderThan", "newerThan"]),
    st.sampled_from(["days", "hours"]),
    st.integers(min_value=1, max_value=60),
)
a_where = st.lists(
    st.one_of(
        st.sampled_from(
            [
                {"property": "category", "op": "eq", "value": "Shoes"},
                {"property": "category", "op": "ne", "value": "Shoes"},
                {"property": "category", "op": "in", "value": ["Shoes", "Hats"]},
                {"property": "category", "op": "contains", "value": "sho"},
                {"property": "category", "op": "isSet"},
                {"property": "channel", "op": "eq", "value": "email"},
            ]
        ),
        st.builds(lambda op, n: {"property": "price", "op": op, "value": n}, st.sampled_from(["gt", "lte"]), small),
        st.builds(lambda n: {"property": "price", "op": "between", "value": [n * 10, n * 10 + 30]}, small),
    ),
    max_size=2,
)


@st.composite
def a_period(draw: Any, base: datetime) -> dict[str, str]:
    start = base - timedelta(hours=draw(st.integers(min_value=-48, max_value=24 * 100)))
    end = start + timedelta(hours=draw(st.integers(min_value=1, max_value=24 * 30)))
    return {"from": start.isoformat(), "to": end.isoformat()}


def an_event_leaf(base: datetime) -> st.SearchStrategy[dict[str, Any]]:
    window = st.one_of(
        st.none(),
        st.builds(lambda n: {"within": {"days": n}}, st.integers(min_value=1, max_value=120)),
        st.builds(lambda n: {"within": {"days": n}}, st.integers(min_value=1, max_value=5)),
        st.builds(lambda n: {"within": {"hours": n}}, st.integers(min_value=1, max_value=72)),
        a_period(base).map(lambda p: {"between": p}),
    )
    return st.builds(
        lambda event, where, count, win, first, last: {
            "event": event,
            **({"where": where} if where else {}),
            **({"count": count} if count else {}),
            **(win or {}),
            **({"first": first} if first else {}),
            **({"last": last} if last else {}),
        },
        st.sampled_from(TYPES),
        a_where,
        st.none() | a_count,
        window,
        st.none() | an_ago,
        st.none() | an_ago,
    )


a_message_leaf = st.builds(
    lambda channel, days, count: {
        "message": "clicked",
        **({"channel": channel} if channel else {}),
        **({"within": {"days": days}} if days else {}),
        **({"count": count} if count else {}),
    },
    st.sampled_from([None, "email", "sms"]),
    st.none() | st.integers(min_value=1, max_value=100),
    st.none() | a_count,
)


def a_date_text(base: datetime) -> st.SearchStrategy[str]:
    return st.integers(min_value=-70, max_value=70).map(lambda d: (base + timedelta(days=d)).date().isoformat())


def a_field_leaf(base: datetime) -> st.SearchStrategy[dict[str, Any]]:
    days = st.integers(min_value=0, max_value=40) | st.sampled_from([364, 365, 366, 400])
    moment = st.integers(min_value=-70 * 24, max_value=70 * 24).map(lambda h: (base + timedelta(hours=h)).isoformat())
    relative = st.builds(
        lambda f, op, n: {"field": f, "op": op, "days": n},
        st.sampled_from(["fields.birthday", "fields.lastVisit"]),
        st.sampled_from(["anniversaryWithin", "withinLast", "withinNext"]),
        days,
    )
    return st.one_of(
        relative,
        relative,
        relative,
        st.builds(
            lambda op, v: {"field": "fields.birthday", "op": op, "value": v},
            st.sampled_from(["before", "after"]),
            a_date_text(base),
        ),
        st.builds(
            lambda op, v: {"field": "fields.lastVisit", "op": op, "value": v},
            st.sampled_from(["before", "after"]),
            a_date_text(base) | moment,
        ),
        st.builds(
            lambda op, v: {"field": "fields.score", "op": op, "value": v},
            st.sampled_from(["eq", "ne", "gt", "lte"]),
            st.integers(min_value=0, max_value=10) | st.sampled_from([2.5, 7.25]),
        ),
        st.builds(
            lambda op, v: {"field": "fields.score", "op": op, "value": v},
            st.sampled_from(["in", "notIn", "between"]),
            st.sampled_from([[1, 5], [0, 3], [2.5, 9]]),
        ),
        st.builds(
            lambda f, op: {"field": f, "op": op},
            st.sampled_from(["fields.score", "fields.city", "fields.tags", "email", "fields.birthday"]),
            st.sampled_from(["isSet", "isEmpty"]),
        ),
        st.builds(
            lambda op, v: {"field": "fields.city", "op": op, "value": v},
            st.sampled_from(["eq", "ne", "contains", "startsWith", "endsWith"]),
            st.sampled_from(["Kyiv", "kyi", "Lv", "iv"]),
        ),
        st.builds(
            lambda op, v: {"field": f"fields.{op[0]}", "op": op[1], "value": v},
            st.sampled_from([("city", "in"), ("city", "notIn"), ("tags", "in"), ("tags", "notIn")]),
            st.sampled_from([["Kyiv", "Lviv"], ["a"], ["b", "Shoes"]]),
        ),
        st.builds(
            lambda op, v: {"field": "fields.tags", "op": op, "value": v},
            st.sampled_from(["eq", "ne", "contains"]),
            st.sampled_from(["a", "b", "shoe"]),
        ),
        st.just({"field": "email", "op": "endsWith", "value": "@EXAMPLE.com"}),
    )


def an_orders_leaf(base: datetime) -> st.SearchStrategy[dict[str, Any]]:
    amount = st.integers(min_value=0, max_value=400)
    return st.one_of(
        st.builds(
            lambda measure, op, v, currency, days: {
                "orders": measure,
                "op": op,
                "value": v,
                **({"currency": currency} if currency else {}),
                **({"within": {"days": days}} if days and measure != "averageOrderValue" else {}),
            },
            st.sampled_from(["count", "revenue", "averageOrderValue"]),
            st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]),
            st.one_of(small, amount),
            st.sampled_from([None, "USD", "EUR"]),
            st.none() | st.integers(min_value=1, max_value=120),
        ),
        st.builds(
            lambda measure, ago: {"orders": measure, "ago": ago},
            st.sampled_from(["lastOrderAt", "firstOrderAt"]),
            an_ago,
        ),
        st.builds(
            lambda measure, op, v: {"orders": measure, "op": op, "value": v},
            st.sampled_from(["lastOrderAt", "firstOrderAt"]),
            st.sampled_from(["before", "after"]),
            a_date_text(base),
        ),
        st.builds(
            lambda measure, op: {"orders": measure, "op": op},
            st.sampled_from(["lastOrderAt", "firstOrderAt"]),
            st.sampled_from(["isSet", "isEmpty"]),
        ),
    )


def a_leaf(base: datetime) -> st.SearchStrategy[dict[str, Any]]:
    events, fields = an_event_leaf(base), a_field_leaf(base)
    return st.one_of(
        events,
        events,
        events,
        a_message_leaf,
        fields,
        fields,
        an_orders_leaf(base),
        an_orders_leaf(base),
        st.sampled_from(
            [
                {"inList": "vip"},
                {"inSegment": "buyers"},
                {"channel": "email", "status": "subscribed"},
                {"channel": "email", "status": "unsubscribed"},
                {"channel": "viber", "status": "available"},
                {"channel": "webpush", "status": "unavailable"},
            ]
        ),
    )


def a_rule(base: datetime) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        a_leaf(base),
        lambda kids: st.one_of(
            st.lists(kids, min_size=1, max_size=3).map(lambda k: {"all": k}),
            st.lists(kids, min_size=1, max_size=3).map(lambda k: {"any": k}),
            st.lists(kids, min_size=1, max_size=3).map(lambda k: {"all": k}),
            kids.map(lambda k: {"not": k}),
        ),
        max_leaves=6,
    )


RULES = {base: a_rule(base) for base in BASES}  # built once: building a strategy costs more than drawing


# --- contacts -----------------------------------------------------------------------------------------------------


CONTACTS = st.fixed_dictionaries(
    {
        "email": st.sampled_from([None, "ann@example.com", "bob@Example.COM", "eve@other.org"]),
        "phone": st.sampled_from([None, "+380501234567"]),
        "timeZone": st.sampled_from(ZONES),
        "consent": st.sampled_from([None, {"email": {"status": "subscribed"}}, {"email": {"status": "unsubscribed"}}]),
        "birthday": st.none() | st.sampled_from(BIRTHDAYS) | st.integers(min_value=-70, max_value=70),
        "lastVisit": st.none() | st.integers(min_value=-60 * 24 * 60, max_value=30 * 24 * 60),
        "score": st.none() | st.integers(min_value=0, max_value=10) | st.sampled_from([2.5, 7.25]),
        "city": st.sampled_from([None, "Kyiv", "Lviv", "kyiv", "Odesa", ""]),
        "tags": st.none() | st.lists(st.sampled_from(["a", "b", "Shoes"]), max_size=2, unique=True),
        "channels": st.sampled_from(
            [
                [],
                [{"type": "viber", "value": "v1", "active": True}],
                [{"type": "viber", "value": "v1", "active": False}],
            ]
        ),
    }
)
EVENTS = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        # seconds before the base, most in the last 10 days, some just around it: up to 4 minutes ahead
        # (a fast clock)
        st.integers(min_value=-240, max_value=0)
        | st.integers(min_value=-240, max_value=600)
        | st.integers(min_value=-240, max_value=2 * 86400)
        | st.integers(min_value=-240, max_value=10 * 86400)
        | st.integers(min_value=-240, max_value=100 * 86400),
        st.integers(min_value=0, max_value=999_999),
        st.sampled_from([None, "Shoes", "Hats", "shoes"]),
        st.none() | st.integers(min_value=0, max_value=60) | st.sampled_from(["15", "45.5"]),
        st.sampled_from([None, "email", "sms"]),
    ),
    max_size=25,
)
ORDERS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=100 * 86400),
        st.sampled_from(["USD", "USD", "EUR"]),
        st.integers(min_value=100, max_value=30000),
        st.sampled_from(["delivered", "delivered", "cancelled", "corrected"]),
        st.integers(min_value=-72, max_value=72),
        st.integers(min_value=100, max_value=30000),
    ),
    max_size=4,
)
STEPS = st.lists(st.sampled_from([None, None, 600, 3 * 3600, 86400, 7 * 86400, 30 * 86400]), min_size=2, max_size=8)


def a_contact(drawn: dict[str, Any], base: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = {k: drawn[k] for k in ("email", "phone", "timeZone", "consent") if drawn[k]}
    birthday, visit = drawn["birthday"], drawn["lastVisit"]
    values = {
        "birthday": (base + timedelta(days=birthday)).date().isoformat() if isinstance(birthday, int) else birthday,
        "lastVisit": (base + timedelta(minutes=visit)).isoformat() if visit is not None else None,
        "score": drawn["score"],
        "city": drawn["city"],
        "tags": drawn["tags"],
    }
    return profile, {k: v for k, v in values.items() if v is not None}


def events_of(drawn: list[tuple[Any, ...]], base: datetime) -> list[Event]:
    found = []
    for n, (event_type, seconds, micros, category, price, channel) in enumerate(drawn):
        properties = {
            k: v for k, v in (("category", category), ("price", price), ("channel", channel)) if v is not None
        }
        at = base - timedelta(seconds=seconds, microseconds=micros)
        found.append(
            Event(
                eventId=f"e{n}",
                type=event_type,
                identity=Identity(externalId="u-1"),
                timestamp=at,
                receivedAt=at,
                properties=properties,
            )
        )
    return found


def orders_of(drawn: list[tuple[Any, ...]], base: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": f"o{n}",
            "at": base - timedelta(seconds=seconds),
            "currency": currency,
            "total": Decimal(total) / 100,
            "fate": fate,
            "moved": timedelta(hours=hours),
            "new_total": Decimal(new_total) / 100,
        }
        for n, (seconds, currency, total, fate, hours, new_total) in enumerate(drawn)
    ]


def apply_orders(aggs: dict[str, Any], orders: list[dict[str, Any]], rng: random.Random) -> list[PlacedOrder]:
    """Each order's transitions in its own order, the orders interleaved; bounds set again as the consumer does
    when a transition says they are lost. Returns the orders that count in the end."""
    steps: dict[str, list[tuple[OrderDelta, PlacedOrder | None]]] = {}
    for o in orders:
        placed = PlacedOrder(o["at"], o["currency"], o["total"])
        seq = [(OrderDelta(1, o["total"], o["currency"], o["at"]), placed)]
        if o["fate"] == "cancelled":
            seq.append((OrderDelta(-1, -o["total"], o["currency"], None, left=o["at"]), None))
        elif o["fate"] == "corrected":
            moved = PlacedOrder(o["at"] + o["moved"], o["currency"], o["new_total"])
            delta = OrderDelta(
                0, o["new_total"] - o["total"], o["currency"], moved.at, left=o["at"], left_revenue=o["total"]
            )
            seq.append((delta, moved))
        steps[o["id"]] = seq
    counting: dict[str, PlacedOrder] = {}
    while any(steps.values()):
        order_id = rng.choice(sorted(k for k, v in steps.items() if v))
        delta, state = steps[order_id].pop(0)
        if state is None:
            counting.pop(order_id, None)
        else:
            counting[order_id] = state
        if aggregates.apply_order(aggs, delta):
            aggregates.set_order_bounds(aggs, [p.at for p in counting.values()])
    return list(counting.values())


def fold(
    record: ContactRecord,
    events: list[Event],
    specs: list[counter_specs.CounterSpec],
    registered_after: int,
    base: datetime,
    rng: random.Random,
) -> list[Event]:
    """The consumer's way: events arrive up to two days late (never after ``base``), in arrival order, in small
    batches processed as they arrive; each batch folds into the built-in counters, then into the segment
    counters the contact holds, and a missing counter whose event type arrived is computed from the history
    (which holds the batch). Segments register their counters from the ``registered_after``-th batch on."""
    arrival = {e.eventId: min(base, e.timestamp + timedelta(seconds=rng.randrange(0, 2 * 86400))) for e in events}
    queue = sorted(events, key=lambda e: (arrival[e.eventId], rng.random()))
    stored: list[Event] = []
    now = datetime(2000, 1, 1, tzinfo=UTC)
    batch_no = 0
    while queue:
        size = rng.randint(1, 4)
        batch, queue = queue[:size], queue[size:]
        now = max(now, *(arrival[e.eventId] for e in batch))
        stored.extend(batch)
        for event in batch:
            aggregates.fold_event(record.aggs, event, WINDOW, now)
        if batch_no >= registered_after:
            held = record.aggs.setdefault(counters.KEY, {})
            present = [s for s in specs if s.id in held]
            for event in batch:
                counters.fold(record.aggs, present, event, now)
            arrived = {e.type for e in batch}
            for spec in specs:
                if spec.id not in held and spec.event in arrived:
                    start = counters.history_start(spec, now)
                    held[spec.id] = counters.backfill(spec, history(stored, spec.event, start), now)
            counters.prune(record.aggs, specs, now)
        aggregates.prune(record.aggs, WINDOW, now)
        batch_no += 1
    return stored


def history(stored: list[Event], event_type: str, start: datetime) -> list[Event]:
    return sorted((e for e in stored if e.type == event_type and e.timestamp >= start), key=lambda e: e.timestamp)


# --- the property -------------------------------------------------------------------------------------------------


def nodes(tree: Explained) -> list[Explained]:
    return [tree, *(n for child in tree.children for n in nodes(child))]


LATER = (timedelta(hours=1), timedelta(days=1), timedelta(days=40), timedelta(days=400))


def check(rule: Condition, exclude: Condition | None, world: World, facts_at: Any, t: datetime) -> datetime | None:
    """At ``t``: membership and every condition's value agree with the oracle; each condition keeps its value
    until its moment (sampled halfway and just before; with no moment, at later times), and a condition's own
    moment is exact. Returns the membership's next moment."""
    verdict = evaluate(rule, exclude, facts_at(t))
    assert verdict.member == oracle.member(rule, exclude, world, t), t
    for tree in verdict.explanation:
        for node in nodes(tree):
            assert node.condition is not None
            assert node.value == oracle.holds(node.condition, world, t), (node.path, t)
            moment = node.next_change
            if moment is None:
                for later in LATER:
                    assert oracle.holds(node.condition, world, t + later) == node.value, (node.path, t, later)
                continue
            assert moment > t, (node.path, t)
            for before in (t + (moment - t) / 2, moment - MICRO):
                assert oracle.holds(node.condition, world, before) == node.value, (node.path, t, before)
            if not node.children:  # a condition's own moment is exact: its value has flipped
                assert oracle.holds(node.condition, world, moment) != node.value, (node.path, t)
    if verdict.next_change is not None:
        assert verdict.next_change > t
        just_before = verdict.next_change - MICRO
        assert evaluate(rule, exclude, facts_at(just_before)).member == verdict.member
    return verdict.next_change


@SETTINGS
@given(
    data=st.data(),
    base=st.sampled_from(BASES),
    seed=st.integers(min_value=0, max_value=2**16),
    contact=CONTACTS,
    drawn_events=EVENTS,
    drawn_orders=ORDERS,
    registered_after=st.integers(min_value=0, max_value=8),
    lists=st.sampled_from([(), ("vip",)]),
    segments=st.sampled_from([(), ("buyers",)]),
    steps=STEPS,
)
def test_evaluation_agrees_with_the_oracle_as_time_moves(
    data: Any,
    base: datetime,
    seed: int,
    contact: dict[str, Any],
    drawn_events: list[tuple[Any, ...]],
    drawn_orders: list[tuple[Any, ...]],
    registered_after: int,
    lists: tuple[str, ...],
    segments: tuple[str, ...],
    steps: list[int | None],
) -> None:
    rng = random.Random(seed)
    rule = parse_condition(data.draw(RULES[base]), "rule")
    exclude = parse_condition(data.draw(RULES[base]), "exclude") if data.draw(st.booleans()) else None
    profile, fields = a_contact(contact, base)
    record = ContactRecord(key="x#u-1", profile=profile, fields=fields, channels=contact["channels"], version=1)
    counting = apply_orders(record.aggs, orders_of(drawn_orders, base), rng)
    specs = counter_specs.specs(rule, exclude, WINDOW)
    stored = fold(record, events_of(drawn_events, base), specs, registered_after, base, rng)
    world = World(
        profile, fields, TYPES_BY_FIELD, stored, counting, contact["channels"], frozenset(lists), frozenset(segments)
    )

    def facts_at(t: datetime) -> Facts:
        return Facts(
            record=record,
            now=t,
            lists=world.lists,
            segments=world.segments,
            field_types=TYPES_BY_FIELD,
            history=lambda event_type, start: history(stored, event_type, start),
            counter_window_days=WINDOW,
        )

    t = base
    for step in steps:
        moment = check(rule, exclude, world, facts_at, t)
        t = moment if step is None and moment is not None else t + timedelta(seconds=step or 3600)
    check(rule, exclude, world, facts_at, t)


def test_a_29_february_birthday_is_celebrated_on_the_28th_in_other_years() -> None:
    """A pinned example of the generated property, so a regression names itself."""
    rule = parse_condition({"field": "fields.birthday", "op": "anniversaryWithin", "days": 0})
    world = World({}, {"birthday": "1992-02-29"}, TYPES_BY_FIELD, [], [])
    record = ContactRecord(key="x#u-1", fields={"birthday": "1992-02-29"}, version=1)
    for day in (date(2027, 2, 28), date(2028, 2, 29), date(2028, 2, 28)):
        now = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        verdict = evaluate(rule, None, Facts(record=record, now=now, field_types=TYPES_BY_FIELD))
        assert verdict.member == oracle.member(rule, None, world, now) == (day != date(2028, 2, 28))
