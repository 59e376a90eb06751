"""The ``segments`` section of ``make bench``: dynamic segments' four costs, each beside a baseline measured
in the same run (docs/segments.md; issue 10, "Correctness and speed").

1. **Rule evaluation** (in memory, one thread): ``evaluate(rule, None, Facts)`` of a six-condition rule (the
   docs' example: email isSet, fields.city in, fields.birthday anniversaryWithin, a filtered event count in
   7 days, no orders, any(email clicked in 30 days / not in the VIP list)) over synthetic contacts as
   the contacts table hands them back (whole numbers as int, built-in daily counters, the segment counters the rule
   registers, orders with order days), vs. a hand-written function computing the same truth from the same
   records: the cost floor of reading the data. Both must agree on every contact. Blocks of contacts take
   turns (evaluator first, then baseline first), so other load on the machine falls on both alike.
2. **Full computation** on the local runtime's moto (``bench.ingest`` starts it; pollers stopped):
   ``definitions.create_segment`` then the imports stream drained through ``background.consume`` as the
   local poller drains it (batches of up to 5 messages, one after another; the 8 parts and their
   continuations), vs. a raw boto3 parallel Scan of the same contacts table (8 segments, the same page
   size and filter, one segment after another as the poller runs the parts), and vs. that scan plus a raw
   BatchWriteItem of as many member rows. Recorded: the time inside each table call, the write units (the
   tables' meters: DynamoDB's sizing rules, as ``chalicelib.storage.items.METER`` counts them) and the read
   units (``read_units``: DynamoDB's rules applied to what each read returned).
3. **Sweep**: a "viewed a product in the last 7 days" segment (built-in counters) computed in full on the
   same contacts at a fixed clock (timed: the baseline), every 100th contact having its last view 6 days
   before; the clock moves one day, and ``sweep()`` (which re-evaluates only the states whose moment
   passed) is timed.
4. **Event -> Segment Entered** on ``make run``'s runtime (a subprocess, as ``bench.sustained`` starts it):
   ``POST /v1/events`` of the event that makes a contact enter, then its activity polled until ``Segment
   Entered`` shows; beside the time until the event itself shows in the activity (same samples).

Sizes: ``SegmentsConfig`` (``BENCH_QUICK=1`` for a small run, ``BENCH_SEGMENTS_<NAME>`` overrides one).
Run alone: ``python -m bench.ingest segments``.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench.config import quick
from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.record import ContactRecord
from chalicelib.segments import counter_specs, rules
from chalicelib.segments.evaluate import Facts, evaluate

# --- sizes ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentsConfig:
    eval_contacts: int = 100_000  # rule evaluation, in memory
    eval_block: int = 5_000  # contacts per turn (evaluator, then baseline, alternating who goes first)
    eval_rounds: int = 1  # passes over every contact
    build_contacts: int = 1_500  # the full computation and the sweep, on moto (see bench_build on why not more)
    latency_samples: int = 20  # event -> Segment Entered
    latency_timeout_s: float = 30.0  # one sample's wait for the event to show


QUICK_SEGMENTS = SegmentsConfig(eval_contacts=20_000, eval_block=2_000, build_contacts=300, latency_samples=8)


def segments_config(env: Mapping[str, str] = os.environ) -> SegmentsConfig:
    base = QUICK_SEGMENTS if quick(env) else SegmentsConfig()
    overrides: dict[str, Any] = {}
    for item in fields(SegmentsConfig):
        raw = env.get(f"BENCH_SEGMENTS_{item.name.upper()}")
        if raw:
            overrides[item.name] = float(raw) if item.name.endswith("_s") else int(raw)
    return replace(base, **overrides)


# --- the rule and its contacts --------------------------------------------------------------------------------

SHOES = {"property": "category", "op": "eq", "value": "Shoes"}
RULE: dict[str, Any] = {
    "all": [
        {"field": "email", "op": "isSet"},
        {"field": "fields.city", "op": "in", "value": ["Kyiv", "Lviv"]},
        {"field": "fields.birthday", "op": "anniversaryWithin", "days": 7},
        {"event": "Product Viewed", "where": [SHOES], "count": {"op": "gte", "value": 3}, "within": {"days": 7}},
        {"orders": "count", "op": "eq", "value": 0},
        {"any": [{"message": "clicked", "channel": "email", "within": {"days": 30}}, {"not": {"inList": "vip"}}]},
    ]
}
FIELD_TYPES = {"city": "string", "birthday": "date", "tier": "string"}
COUNTER_WINDOW_DAYS = 90
ZONES = [("Europe/Kyiv", 60), ("UTC", 15), ("America/New_York", 10), ("", 15)]  # "" : no time zone
CITIES = [("Kyiv", 35), ("Lviv", 25), ("Odesa", 15), ("Kharkiv", 15), ("Dnipro", 10)]
OTHER_TYPES = ("Page Viewed", "Product Viewed", "Products Searched", "Product Added")


@dataclass(frozen=True)
class Shape:
    """How often each of the rule's conditions holds for a generated contact (their product, ~10%: the
    birthday week is made common so that a realistic rule has a tenth of the contacts as members)."""

    email: float = 0.95
    birthday_week: float = 0.45  # birthdays within the next 7 days
    shoes: float = 0.60  # 3+ shoe views in the last 7 days
    no_orders: float = 0.70
    clicked: float = 0.30  # an email click in the last 30 days
    vip: float = 0.10


def rule_counters() -> tuple[str, str]:
    """The ids of the two counters RULE registers: shoe views (7 days), email clicks (30 days)."""
    specs = counter_specs.specs(rules.parse_condition(RULE), None, COUNTER_WINDOW_DAYS)
    by_event = {s.event: s.id for s in specs}
    return by_event["Product Viewed"], by_event["Message Clicked"]


def _day_key(now: datetime, days_ago: int) -> str:
    return (now - timedelta(days=days_ago)).strftime("%Y%m%d")


class Contacts:
    """Synthetic contacts as stored: the parts the rule reads differ per contact; the parts it never reads
    (recently viewed products, cart) are realistic in size and shared between contacts to spare memory."""

    def __init__(self, seed: int, now: datetime, shape: Shape = Shape()) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.shape = shape
        self.shoes_id, self.clicked_id = rule_counters()
        from bench.common import contact_seed

        sample = contact_seed(random.Random(seed + 1), "shared", "typical", now)
        self.viewed = sample["aggs"]["viewed"]
        self.cart = sample["aggs"]["cart"]
        self.address = sample["profile"]["address"]
        self.channels = sample["channels"]
        self.zones = [z for z, _ in ZONES], [w for _, w in ZONES]
        self.cities = [c for c, _ in CITIES], [w for _, w in CITIES]
        self.day_keys = [_day_key(now, d) for d in range(400)]

    def _birthday(self, in_week: bool) -> str:
        rng = self.rng
        year = rng.randrange(1960, 2006)
        if in_week:
            day = self.now.date() + timedelta(days=rng.randrange(0, 7))
        else:
            day = self.now.date() + timedelta(days=rng.randrange(9, 356))
        try:
            return date(year, day.month, day.day).isoformat()
        except ValueError:  # 29 February in a common year
            return date(year, 2, 28).isoformat()

    def _buckets(self, total: int, days: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for _ in range(total):
            key = self.day_keys[int(self.rng.random() * days)]
            found[key] = found.get(key, 0) + 1
        return found

    def record(self, i: int, tag: str = "seg") -> tuple[ContactRecord, frozenset[str]]:
        """Contact ``i`` and the lists it is in."""
        rng, s, now = self.rng, self.shape, self.now
        external_id = f"{tag}-{i:06d}"
        zone = rng.choices(*self.zones)[0]
        profile: dict[str, Any] = {
            "firstName": "Olena",
            "lastName": "Kovalenko",
            "languageCode": "uk",
            "phone": f"+3805{rng.randrange(10_000_000, 99_999_999)}",
            "address": self.address,
        }
        if rng.random() < s.email:
            profile["email"] = f"{external_id}@mail.example"
        if zone:
            profile["timeZone"] = zone
        shoes = rng.randrange(3, 7) if rng.random() < s.shoes else rng.randrange(0, 3)
        clicks = rng.randrange(1, 3) if rng.random() < s.clicked else 0
        builtin = {t: self._buckets(rng.randrange(2, 20), 20) for t in OTHER_TYPES}
        builtin["Message Clicked"] = self._buckets(clicks, 30) if clicks else {}
        ordered = rng.random() >= s.no_orders
        orders: dict[str, Any] = {"count": 0, "counts": {}, "revenue": {}, "days": {}}
        if ordered:
            n = rng.randrange(1, 5)
            first = now - timedelta(days=rng.randrange(30, 400))
            last = now - timedelta(days=rng.randrange(1, 30)) if n > 1 else first
            revenue = Decimal(rng.randrange(6_000, 60_000)) / 100 if n > 1 else Decimal("40.00")
            orders = {
                "count": n,
                "counts": {"EUR": n},
                "revenue": {"EUR": str(revenue)},
                "firstAt": iso(first),
                "lastAt": iso(last),
                "days": {  # the first order's day, then the rest on the last order's day
                    first.strftime("%Y%m%d"): {"EUR": {"n": 1, "r": "40.00"}},
                    **({last.strftime("%Y%m%d"): {"EUR": {"n": n - 1, "r": str(revenue - 40)}}} if n > 1 else {}),
                },
            }
        aggs = {
            "orders": orders,
            "counters": {k: v for k, v in builtin.items() if v},
            "segmentCounters": {
                self.shoes_id: {"k": 7, "b": self._buckets(shoes, 7)},
                self.clicked_id: {"k": 30, "b": self._buckets(clicks, 30)},
            },
            "viewed": self.viewed,
            "wishlist": [],
            "cart": self.cart,
            "firstSeenAt": iso(now - timedelta(days=400)),
            "lastSeenAt": iso(now - timedelta(hours=rng.randrange(1, 72))),
        }
        stamp = iso(now - timedelta(days=rng.randrange(1, 700)))
        record = ContactRecord(
            key=keys.known(external_id),
            profile=profile,
            fields={
                "city": rng.choices(*self.cities)[0],
                "birthday": self._birthday(rng.random() < s.birthday_week),
                "tier": rng.choice(["gold", "silver", "bronze"]),
            },
            channels=self.channels,
            aggs=aggs,
            version=rng.randrange(1, 40),
            created_at=stamp,
            updated_at=stamp,
        )
        return record, frozenset({"vip"} if rng.random() < s.vip else ())


# --- 1. rule evaluation ---------------------------------------------------------------------------------------


class Handwritten:
    """RULE as a hand-written function over the same records: every condition computed (as the evaluator
    must), with what does not depend on the contact (day keys, time zones, "today" per zone) prepared once."""

    def __init__(self, now: datetime, shoes_id: str, clicked_id: str) -> None:
        self.now = now
        self.shoes_id, self.clicked_id = shoes_id, clicked_id
        self.week = [_day_key(now, d) for d in range(7)]
        self.month = [_day_key(now, d) for d in range(30)]
        self.today: dict[str, date] = {}

    def _today(self, zone: Any) -> date:
        name = zone if isinstance(zone, str) else ""
        found = self.today.get(name)
        if found is None:
            tz: tzinfo = UTC
            if name:
                with contextlib.suppress(Exception):
                    tz = ZoneInfo(name)
            found = self.today[name] = self.now.astimezone(tz).date()
        return found

    @staticmethod
    def _sum(counter: Any, days: list[str]) -> int:
        buckets = counter.get("b") if isinstance(counter, dict) else None
        if not buckets:
            return 0
        return sum(int(buckets.get(k, 0)) for k in days)

    def member(self, record: ContactRecord, lists: frozenset[str]) -> bool:
        profile, flds, aggs = record.profile, record.fields, record.aggs
        email = profile.get("email") not in (None, "")
        city = flds.get("city") in ("Kyiv", "Lviv")
        birthday = False
        raw = flds.get("birthday")
        if isinstance(raw, str) and raw:
            born = date.fromisoformat(raw)
            today = self._today(profile.get("timeZone"))
            birthday = (_next_anniversary(born, today) - today).days <= 7
        held = aggs.get("segmentCounters") or {}
        shoes = self._sum(held.get(self.shoes_id), self.week) >= 3
        no_orders = int((aggs.get("orders") or {}).get("count", 0)) == 0
        clicked = self._sum(held.get(self.clicked_id), self.month) >= 1
        return email and city and birthday and shoes and no_orders and (clicked or "vip" not in lists)


def _next_anniversary(born: date, today: date) -> date:
    def on(year: int) -> date:
        if born.month == 2 and born.day == 29:
            try:
                return date(year, 2, 29)
            except ValueError:
                return date(year, 2, 28)
        return date(year, born.month, born.day)

    this_year = on(today.year)
    return this_year if this_year >= today else on(today.year + 1)


@dataclass
class EvalResult:
    contacts: int
    rounds: int
    block: int
    members: int = 0
    disagreements: int = 0
    examples: list[str] = field(default_factory=list)
    orbit_blocks: list[float] = field(default_factory=list)  # CPU seconds of this thread, per block
    base_blocks: list[float] = field(default_factory=list)
    orbit_wall: float = 0.0
    base_wall: float = 0.0
    generate_seconds: float = 0.0

    @property
    def evaluated(self) -> int:
        return self.contacts * self.rounds

    @property
    def orbit_rate(self) -> float:
        """Contacts per CPU second (one thread: per core)."""
        total = sum(self.orbit_blocks)
        return self.evaluated / total if total else 0.0

    @property
    def base_rate(self) -> float:
        total = sum(self.base_blocks)
        return self.evaluated / total if total else 0.0

    @property
    def ratios(self) -> list[float]:
        """Per block: evaluator contacts/s over baseline contacts/s."""
        return [b / o for o, b in zip(self.orbit_blocks, self.base_blocks, strict=True) if o]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else 0.0

    @property
    def us_per_contact(self) -> tuple[float, float]:
        return 1e6 / self.orbit_rate if self.orbit_rate else 0.0, 1e6 / self.base_rate if self.base_rate else 0.0


Block = list[tuple[ContactRecord, frozenset[str]]]


def bench_evaluation(config: SegmentsConfig, now: datetime | None = None) -> EvalResult:
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    contacts = Contacts(seed=101, now=now)
    population = [contacts.record(i, "ev") for i in range(config.eval_contacts)]
    result = EvalResult(contacts=config.eval_contacts, rounds=config.eval_rounds, block=config.eval_block)
    result.generate_seconds = time.perf_counter() - started
    rule = rules.parse_condition(RULE)
    hand = Handwritten(now, contacts.shoes_id, contacts.clicked_id)

    def orbit(block: Block) -> list[bool]:
        return [
            evaluate(
                rule,
                None,
                Facts(
                    record=record,
                    now=now,
                    lists=lists,
                    field_types=FIELD_TYPES,
                    counter_window_days=COUNTER_WINDOW_DAYS,
                ),
            ).member
            for record, lists in block
        ]

    def base(block: Block) -> list[bool]:
        return [hand.member(record, lists) for record, lists in block]

    blocks = [population[i : i + config.eval_block] for i in range(0, len(population), config.eval_block)]
    for round_ in range(config.eval_rounds):
        for n, block in enumerate(blocks):
            sides: list[tuple[str, Callable[[Block], list[bool]]]] = [("orbit", orbit), ("base", base)]
            if (n + round_) % 2:
                sides.reverse()
            answers: dict[str, list[bool]] = {}
            for name, side in sides:
                cpu, wall = time.thread_time(), time.perf_counter()
                answers[name] = side(block)
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                if name == "orbit":
                    result.orbit_blocks.append(cpu)
                    result.orbit_wall += wall
                else:
                    result.base_blocks.append(cpu)
                    result.base_wall += wall
            if round_ == 0:
                result.members += sum(answers["orbit"])
                for (record, _), mine, theirs in zip(block, answers["orbit"], answers["base"], strict=True):
                    if mine != theirs:
                        result.disagreements += 1
                        if len(result.examples) < 3:
                            result.examples.append(f"{record.key}: evaluator {mine}, hand-written {theirs}")
    return result


# --- 2 and 3. full computation and sweep, on the local runtime's moto -----------------------------------------

SHOE_LOVERS = "bench-shoe-lovers"
VIEWED = "bench-viewed-7d"
VIEWED_RULE: dict[str, Any] = {"event": "Product Viewed", "within": {"days": 7}}
VIEWED_SHARE = 0.19  # contacts with a product view in the last 5 days: members that stay
LEAVING_SHARE = 0.01  # contacts whose last product view was 6 days ago (every 100th): members until midnight
POLLER_BATCH = 5  # app.py: consume_imports' batch_size (the local poller hands it up to 5 messages)


class CallTimer:
    """Counts and times every call the wrapped boto3 clients make, as ``label.method``, and the read units of
    DynamoDB's reads by its rules (4 KB steps of what a call returns, rounded up per call for Scan and Query,
    per item for GetItem and BatchGetItem; half a unit when eventually consistent)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.read_units: defaultdict[str, float] = defaultdict(float)

    def wrap(self, client: Any, label: str) -> Any:
        timer = self

        class Timed:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(client, name)
                if name.startswith("_") or not callable(attr) or name in ("get_paginator", "can_paginate"):
                    return attr

                def timed(*args: Any, **kwargs: Any) -> Any:
                    start = time.perf_counter()
                    out = None
                    try:
                        out = attr(*args, **kwargs)
                        return out
                    finally:
                        key = f"{label}.{name}"
                        timer.calls[key] += 1
                        timer.seconds[key] += time.perf_counter() - start
                        if out is not None:
                            timer.read_units[key] += read_units(name, kwargs, out)

                return timed

        return Timed()

    def reset(self) -> None:
        self.calls.clear()
        self.seconds.clear()
        self.read_units.clear()

    def snapshot(self) -> tuple[Counter[str], defaultdict[str, float], float]:
        return Counter(self.calls), defaultdict(float, self.seconds), sum(self.read_units.values())


def read_units(method: str, request: Mapping[str, Any], answer: Mapping[str, Any]) -> float:
    """The read units DynamoDB bills for one answered read call (0 for anything else)."""
    from chalicelib.storage.items import item_size

    step = 1.0 if request.get("ConsistentRead") else 0.5
    if method in ("scan", "query"):
        size = sum(item_size(i) for i in answer.get("Items", []))
        return step * max(1, math.ceil(size / 4096))
    if method == "get_item":
        item = answer.get("Item")
        return step * max(1, math.ceil(item_size(item) / 4096)) if item else step
    if method == "batch_get_item":
        found = [i for items in answer.get("Responses", {}).values() for i in items]
        return sum(0.5 * max(1, math.ceil(item_size(i) / 4096)) for i in found)
    return 0.0


@dataclass
class Run:
    """One timed run on moto: wall seconds, the table calls inside it, and what it wrote."""

    seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    call_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    write_units: int = 0
    read_units: float = 0.0
    evaluate_seconds: float = 0.0  # inside evaluate() (Orbit runs only)

    @property
    def inside_calls(self) -> float:
        return sum(self.call_seconds.values())

    @property
    def requests(self) -> int:
        """Table calls (queue calls left out)."""
        return sum(n for k, n in self.calls.items() if not k.startswith("sqs-"))

    @property
    def queue_sends(self) -> int:
        return sum(n for k, n in self.calls.items() if k.startswith("sqs-") and k.endswith("send_message_batch"))

    @property
    def dollars(self) -> float:
        """Read and write units and queue sends at on-demand list prices (``bench.cost_doc``)."""
        from bench.cost_doc import PRICE_RRU, PRICE_SQS, PRICE_WRU

        return self.read_units * PRICE_RRU + self.write_units * PRICE_WRU + self.queue_sends * PRICE_SQS


@dataclass
class BuildResult:
    contacts: int
    seed_seconds: float = 0.0
    item_bytes: int = 0
    page: int = 0
    parts: int = 0
    messages: int = 0  # SegmentBuildMsg handled (the 8 parts and their continuations)
    scanned: int = 0
    members: int = 0
    moment_states: int = 0  # non-members stored because time alone may make them enter
    vip: int = 0
    orbit: Run = field(default_factory=Run)
    scan_before: Run = field(default_factory=Run)
    scan_after: Run = field(default_factory=Run)  # the scan part of scan + BatchWriteItem
    batch_write: Run = field(default_factory=Run)
    stored_size_ms: float = 0.0  # per contact: serialising a scanned item again to size it (in memory)
    # the sweep
    viewed_members: int = 0
    viewed_build: Run = field(default_factory=Run)
    sweep: Run = field(default_factory=Run)
    sweep_counts: dict[str, int] = field(default_factory=dict)
    leaving: int = 0  # contacts generated to leave the viewed segment after a day

    @property
    def scan_seconds(self) -> float:
        """The raw scan: the mean of the one before Orbit's computation and the one after it."""
        return (self.scan_before.seconds + self.scan_after.seconds) / 2

    @property
    def ratio(self) -> float:
        return self.orbit.seconds / self.scan_seconds if self.scan_seconds else 0.0

    @property
    def scan_write_seconds(self) -> float:
        return self.scan_after.seconds + self.batch_write.seconds

    @property
    def sweep_ratio(self) -> float:
        return self.sweep.seconds / self.viewed_build.seconds if self.viewed_build.seconds else 0.0


def _viewed_buckets(rng: random.Random, day_keys: list[str], kind: str) -> dict[str, int]:
    """Built-in ``Product Viewed`` day counters: ``stay`` has views in the last 5 days (and older), ``leave``
    its last view 6 days ago, ``out`` none in the last 7 days."""
    days = {"stay": range(0, 5), "leave": range(6, 7), "out": range(8, 20)}[kind]
    found: dict[str, int] = {}
    for _ in range(rng.randrange(1, 6)):
        key = day_keys[rng.choice(days)]
        found[key] = found.get(key, 0) + 1
    if kind != "out":
        for _ in range(rng.randrange(0, 4)):  # older views too
            key = day_keys[rng.randrange(8, 20)]
            found[key] = found.get(key, 0) + 1
    return found


def seed(ports: Any, settings: Any, count: int, now: datetime) -> tuple[list[ContactRecord], float, int]:
    """The contacts (with their VIP list memberships), written with BatchWriteItem; returns them, the
    seconds it took and how many are in the list."""
    from chalicelib import aws
    from chalicelib.contacts.fields import FieldDeclaration
    from chalicelib.errors import Conflict
    from chalicelib.segments.models import Generation, MemberState
    from chalicelib.services.segments import definitions
    from chalicelib.storage.contacts import _to_item
    from chalicelib.storage.dynamo import Table
    from chalicelib.storage.items import Meter
    from chalicelib.storage.segments import _state_item

    for name, kind in FIELD_TYPES.items():
        with contextlib.suppress(Conflict):
            ports.fields.add_field(FieldDeclaration(name=name, type=kind))
    with contextlib.suppress(Conflict):
        definitions.create_list(ports, rules.ListIn(id="vip", name="VIP"))
    generator = Contacts(seed=202, now=now)
    rng = random.Random(203)
    records, vip_states = [], []
    stamp = iso(now - timedelta(days=30))
    every = round(1 / LEAVING_SHARE)
    for i in range(count):
        record, lists = generator.record(i, "sb")
        kind = "leave" if i % every == every // 2 else "stay" if rng.random() < VIEWED_SHARE else "out"
        record.aggs["counters"]["Product Viewed"] = _viewed_buckets(rng, generator.day_keys, kind)
        records.append(record)
        if lists:
            state = MemberState(member=True, version=0, since=stamp, changed_at=stamp)
            vip_states.append(_state_item(Generation("vip", 0), record.key, state))
    ddb = aws.client("dynamodb")
    started = time.perf_counter()
    Table(ddb, settings.contacts_table, meter=Meter()).batch_put([_to_item(r) for r in records])
    Table(ddb, settings.segments_table, meter=Meter()).batch_put(vip_states)
    return records, time.perf_counter() - started, len(vip_states)


def raw_scan(client: Any, table: str, page: int, parts: int, timer: CallTimer) -> tuple[Run, list[str]]:
    """A raw boto3 parallel Scan: ``parts`` segments one after another, ``page`` items a call, known contacts
    only (the filter Orbit's scan uses); returns the run and the keys read."""
    timed = timer.wrap(client, "contacts")
    timer.reset()
    found: list[str] = []
    started = time.perf_counter()
    for segment in range(parts):
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": table,
                "Segment": segment,
                "TotalSegments": parts,
                "Limit": page,
                "FilterExpression": "#kind = :kind",
                "ExpressionAttributeNames": {"#kind": "kind"},
                "ExpressionAttributeValues": {":kind": {"S": "contact"}},
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            out = timed.scan(**kwargs)
            found += [i["pk"]["S"] for i in out.get("Items", [])]
            start = out.get("LastEvaluatedKey")
            if not start:
                break
    run = Run(seconds=time.perf_counter() - started)
    run.calls, run.call_seconds, run.read_units = timer.snapshot()
    return run, found


def raw_member_rows(client: Any, table: str, member_keys: list[str], timer: CallTimer) -> Run:
    """The least a computation must write: one small row per member (segment and shard, contact key), 25 per
    BatchWriteItem; 1 write unit each."""
    from chalicelib.storage.segments import shard_of

    timed = timer.wrap(client, "segments")
    timer.reset()
    rows = [{"pk": {"S": f"m#raw#{shard_of(k)}"}, "sk": {"S": k}, "mem": {"BOOL": True}} for k in member_keys]
    started = time.perf_counter()
    for i in range(0, len(rows), 25):
        pending = [{"PutRequest": {"Item": r}} for r in rows[i : i + 25]]
        while pending:
            out = timed.batch_write_item(RequestItems={table: pending})
            pending = out.get("UnprocessedItems", {}).get(table, [])
    run = Run(seconds=time.perf_counter() - started, write_units=len(rows))
    run.calls, run.call_seconds, run.read_units = timer.snapshot()
    return run


class Poller:
    """The local poller's part for the imports stream: receive up to ``POLLER_BATCH`` messages, hand them to
    ``background.consume`` one batch at a time, delete what succeeded."""

    def __init__(self, ports: Any, sqs: Any, url: str) -> None:
        self.ports, self.sqs, self.url = ports, sqs, url
        self.messages = 0

    def drain(self, done: Callable[[], bool], timeout: float = 1800.0) -> None:
        from chalicelib.services import background

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=POLLER_BATCH, WaitTimeSeconds=0)
            messages = out.get("Messages", [])
            if not messages:
                if done():
                    return
                time.sleep(0.05)
                continue
            failed = set(background.consume(self.ports, [(m["MessageId"], m["Body"]) for m in messages]))
            if failed:
                raise RuntimeError(f"background.consume failed {len(failed)} segment computation messages")
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            self.messages += len(messages)
        raise RuntimeError("the segment computation did not finish in time")


class Instrumented:
    """Ports whose table and queue clients are timed and whose tables have meters of their own; and a timer
    around ``evaluate`` where full computations and the sweep call it."""

    def __init__(self, ports: Any) -> None:
        from bench.metering import TableMeter

        self.ports = ports
        self.timer = CallTimer()
        self.tables = {
            "contacts": ports.contacts.table,
            "segments": ports.segments.table,
            "events": ports.events.table,
            "meta": ports.fields.table,
        }
        for label, table in self.tables.items():
            table.client = self.timer.wrap(table.client, label)
            table.meter = TableMeter()
        for stream, queue in ports.publisher.queues.items():
            queue.client = self.timer.wrap(queue.client, f"sqs-{stream}")
        self.evaluate_seconds = 0.0

    @contextlib.contextmanager
    def run(self) -> Any:
        """Time the block; yields the Run it fills."""
        from chalicelib.services.segments import builds, membership

        original = getattr(builds, "evaluate")  # noqa: B009 (imported there, not exported)

        def timed_evaluate(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.evaluate_seconds += time.perf_counter() - start

        self.timer.reset()
        self.evaluate_seconds = 0.0
        units = {label: t.meter.write_units for label, t in self.tables.items()}
        result = Run()
        for module in (builds, membership):
            setattr(module, "evaluate", timed_evaluate)  # noqa: B010
        started = time.perf_counter()
        try:
            yield result
        finally:
            result.seconds = time.perf_counter() - started
            for module in (builds, membership):
                setattr(module, "evaluate", original)  # noqa: B010
            result.calls, result.call_seconds, result.read_units = self.timer.snapshot()
            result.evaluate_seconds = self.evaluate_seconds
            result.write_units = sum(t.meter.write_units - units[label] for label, t in self.tables.items())


def _states(client: Any, table: str, generation: Any) -> tuple[int, int]:
    """(members, non-members) stored for a generation (a raw Scan, untimed)."""
    prefix = f"m#{generation.segment_id}#{generation.number}#"
    members = others = 0
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "begins_with(pk, :p)",
            "ExpressionAttributeValues": {":p": {"S": prefix}},
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = client.scan(**kwargs)
        for item in out.get("Items", []):
            if item.get("mem", {}).get("BOOL"):
                members += 1
            else:
                others += 1
        start = out.get("LastEvaluatedKey")
        if not start:
            return members, others


def bench_build(config: SegmentsConfig) -> BuildResult:
    """Sections 2 and 3 on the running local runtime's moto (``AWS_ENDPOINT_URL`` set by ``LocalRuntime``)."""
    from chalicelib import aws
    from chalicelib.clock import FixedClock
    from chalicelib.deps import build
    from chalicelib.local.provision import provision
    from chalicelib.segments.models import PARTS
    from chalicelib.services.segments import builds, definitions
    from chalicelib.services.segments.registry import REGISTRY
    from chalicelib.services.segments.sweep import sweep
    from chalicelib.settings import settings_from_env
    from chalicelib.storage.items import item_size, serialize

    cfn = aws.client("cloudformation")
    settings = settings_from_env(provision(cfn, "benchsegments"))
    raw = settings_from_env(provision(cfn, "benchsegmentsraw"))
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    clock = FixedClock(now)
    ports = build(settings, clock)
    REGISTRY.invalidate()
    result = BuildResult(contacts=config.build_contacts, page=builds.PAGE, parts=PARTS)
    records, result.seed_seconds, result.vip = seed(ports, settings, config.build_contacts, now)
    result.item_bytes = int(statistics.median(item_size(serialize(_item(r))) for r in records[:200]))
    result.leaving = sum(1 for r in records if _leaves(r, now))
    ddb, sqs = aws.client("dynamodb"), aws.client("sqs")
    imports_url = sqs.get_queue_url(QueueName=settings.imports_queue)["QueueUrl"]
    events_url = sqs.get_queue_url(QueueName=settings.events_queue)["QueueUrl"]
    wired = Instrumented(ports)
    poller = Poller(ports, wired.timer.wrap(sqs, "sqs-poller"), imports_url)
    raw_timer = CallTimer()

    def computed(segment_id: str) -> Callable[[], bool]:
        def done() -> bool:
            found = ports.segments.segment(segment_id)
            return found is not None and found.building is None

        return done

    # 2. the full computation, between two raw scans
    print(f"  raw parallel scan of {len(records):,} contacts ...", flush=True)
    result.scan_before, scanned_keys = raw_scan(ddb, settings.contacts_table, builds.PAGE, PARTS, raw_timer)
    print("  Orbit: create_segment + the imports stream through background.consume ...", flush=True)
    with wired.run() as orbit:
        definitions.create_segment(ports, rules.SegmentIn(id=SHOE_LOVERS, name="Shoe lovers, no order yet", rule=RULE))
        poller.drain(computed(SHOE_LOVERS))
    result.orbit = orbit
    result.messages = poller.messages
    definition = ports.segments.segment(SHOE_LOVERS)
    assert definition is not None
    progress = ports.segments.build(definition.serving)
    result.scanned = progress.scanned if progress else 0
    result.members, result.moment_states = _states(ddb, settings.segments_table, definition.serving)
    member_keys = [k for k, _ in _all_members(ports, definition.serving)]
    print(f"  raw parallel scan + BatchWriteItem of {len(member_keys):,} member rows ...", flush=True)
    result.scan_after, _ = raw_scan(ddb, settings.contacts_table, builds.PAGE, PARTS, raw_timer)
    result.batch_write = raw_member_rows(ddb, raw.segments_table, member_keys, raw_timer)
    if len(scanned_keys) != len(records):
        raise RuntimeError(f"the raw scan read {len(scanned_keys)} contacts of {len(records)}")
    sample = [_item(r) for r in records[: min(len(records), 1000)]]
    started = time.perf_counter()
    for item in sample:
        item_size(serialize(item))
    result.stored_size_ms = 1000 * (time.perf_counter() - started) / len(sample)

    # 3. the sweep: a segment whose members leave as time passes
    definitions.delete(ports, SHOE_LOVERS, "segment")  # its moments would fall due too
    print("  the viewed-in-7-days segment: full computation ...", flush=True)
    with wired.run() as viewed:
        body = rules.SegmentIn(id=VIEWED, name="Viewed a product in 7 days", rule=VIEWED_RULE)
        definitions.create_segment(ports, body)
        poller.drain(computed(VIEWED))
    result.viewed_build = viewed
    definition = ports.segments.segment(VIEWED)
    assert definition is not None
    result.viewed_members, _ = _states(ddb, settings.segments_table, definition.serving)
    clock.advance(days=1)
    REGISTRY.invalidate()
    print("  one day later: sweep() ...", flush=True)
    with wired.run() as swept:
        outcome = sweep(ports)
    result.sweep = swept
    result.sweep_counts = outcome.as_dict()
    sqs.purge_queue(QueueUrl=events_url)  # the Segment Exited events the sweep published
    definitions.delete(ports, VIEWED, "segment")
    return result


def _item(record: ContactRecord) -> dict[str, Any]:
    from chalicelib.storage.contacts import _to_item

    return _to_item(record)


def _leaves(record: ContactRecord, now: datetime) -> bool:
    """True when the contact's last product view was 6 days ago (it leaves the viewed segment tomorrow)."""
    viewed = record.aggs["counters"].get("Product Viewed") or {}
    recent = [k for k in viewed if k >= _day_key(now, 6)]
    return bool(recent) and max(recent) == _day_key(now, 6)


def _all_members(ports: Any, generation: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    cursor = None
    while True:
        page, cursor = ports.memberships.members(generation, 1000, cursor)
        found += page
        if cursor is None:
            return found


# --- 4. event -> Segment Entered, on make run's runtime ------------------------------------------------------

PING = "Bench Ping"
PINGED = "bench-pinged-today"


@dataclass
class LatencyResult:
    samples: int
    event_seconds: list[float] = field(default_factory=list)  # POST -> the event in the activity
    entered_seconds: list[float] = field(default_factory=list)  # POST -> Segment Entered in the activity
    timeouts: int = 0
    poll_interval_s: float = 0.0
    startup_seconds: float = 0.0
    build_seconds: float = 0.0  # the segment's (empty) first computation, until it served
    runtime_problems: int = 0
    problem_examples: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # unexpected answers while polling, and the runtime's last lines


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def p90(values: list[float]) -> float:
    return _percentile(values, 0.90)


def _segment_ready(conn: Any, segment_id: str, timeout: float = 120.0) -> None:
    started = time.perf_counter()
    while True:
        status, answer = conn.call("GET", f"/v1/segments/{segment_id}")
        if status == 200 and answer.get("computing") is None and answer.get("generation", 0) >= 1:
            return
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the latency segment was not computed in {timeout:.0f} s: {answer}")
        time.sleep(0.1)


def _sample(conn: Any, external_id: str, n: int, timeout: float, poll: float, errors: list[str]) -> tuple[Any, Any]:
    """POST one ping for a new contact; seconds until the ping and until ``Segment Entered`` show in its
    activity (None: not within ``timeout``)."""
    import json
    import uuid

    event_id = uuid.uuid4().hex
    event = {
        "type": PING,
        "externalId": external_id,
        "eventId": event_id,
        "timestamp": datetime.now(UTC).isoformat(),
        "properties": {"sample": n},
    }
    seen_event = seen_entered = None
    began = time.perf_counter()
    status, answer = conn.call("POST", "/v1/events", json.dumps({"events": [event]}).encode())
    if status != 202:
        raise RuntimeError(f"POST /v1/events answered {status}: {answer}")
    while (seen_entered is None or seen_event is None) and time.perf_counter() - began <= timeout:
        status, page = conn.call("GET", f"/v1/contacts/{external_id}/activity?limit=20")
        now = time.perf_counter() - began
        if status not in (200, 404) and len(errors) < 3:
            errors.append(f"GET activity: {status} {str(page)[:200]}")
        for item in (page or {}).get("events", []) if status == 200 else []:
            if item.get("eventId") == event_id and seen_event is None:
                seen_event = now
            entered = item.get("type") == "Segment Entered"
            if entered and (item.get("properties") or {}).get("segmentId") == PINGED and seen_entered is None:
                seen_entered = now
        time.sleep(poll)
    return seen_event, seen_entered


def bench_latency(config: SegmentsConfig, poll_interval: float = 0.02) -> LatencyResult:
    """``make run``'s runtime in a subprocess; a segment of the contacts who sent a ``Bench Ping`` today; each
    sample a new contact's first ping, its activity polled until the ping and ``Segment Entered`` show."""
    import json
    import tempfile
    import uuid
    from pathlib import Path

    from bench.sustained import Http, Runtime

    result = LatencyResult(samples=config.latency_samples, poll_interval_s=poll_interval)
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="orbit-bench-segments-") as tmp:
        runtime = Runtime(Path(tmp) / "latency", pollers=True)
        result.startup_seconds = runtime.startup_seconds
        conn = Http(runtime.port, timeout=60.0)
        try:
            started = time.perf_counter()
            rule = {"event": PING, "within": {"days": 1}}
            body = json.dumps({"id": PINGED, "name": "Pinged today", "rule": rule}).encode()
            status, answer = conn.call("POST", "/v1/segments", body)
            if status != 201:
                raise RuntimeError(f"POST /v1/segments answered {status}: {answer}")
            _segment_ready(conn, PINGED)
            result.build_seconds = time.perf_counter() - started
            failures = 0  # samples in a row that timed out
            for n in range(config.latency_samples + 1):  # the first is a warm-up
                external_id = f"lat-{run}-{n:03d}"
                seen_event, seen_entered = _sample(
                    conn, external_id, n, config.latency_timeout_s, poll_interval, result.errors
                )
                if seen_event is None or seen_entered is None:
                    result.timeouts += 1
                    failures += 1
                    if not result.errors:
                        result.errors.append("runtime's last lines: " + " | ".join(list(runtime.tail)[-8:])[:1500])
                    if failures == 3:  # something is broken: no use waiting out every sample
                        break
                    continue
                failures = 0
                if n > 0:
                    result.event_seconds.append(seen_event)
                    result.entered_seconds.append(seen_entered)
        finally:
            conn.close()
            runtime.stop()
            result.runtime_problems = runtime.problems
            result.problem_examples = runtime.problem_examples
    return result
