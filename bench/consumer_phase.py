"""Phase 2 of ``make bench`` (owns consumer -> DynamoDB): ``Consumer(stores).process`` vs. the raw
boto3 baseline (``RawBaseline``), the contact-size scenarios, and the redelivery check."""

from __future__ import annotations

import copy
import json
import math
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from bench.common import Stopwatch, chunks, compact, contact_seed, event_in, interleaved_stream, rate, timestamps
from bench.config import BATCH_SIZE, CONTACTS_PER_ROUND, EVENTS_PER_CONTACT, ROUNDS, SESSIONS_AT_ONCE
from bench.metering import OpTimes, ReadUnits, TableMeter
from chalicelib import aws
from chalicelib.clock import SystemClock, iso
from chalicelib.contacts.record import ContactRecord
from chalicelib.deps import build
from chalicelib.events.models import Event, Identity
from chalicelib.local.provision import provision
from chalicelib.messages import EventMsg, dump
from chalicelib.services.consumer import Consumer
from chalicelib.settings import settings_from_env
from chalicelib.storage.contacts import DynamoContactStore
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import METER, Meter, item_size, serialize, write_units


@dataclass
class Side:
    """One side's measurements for a scenario."""

    rates: list[float] = field(default_factory=list)
    seconds_per_batch: list[float] = field(default_factory=list)
    events: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    by_table: dict[str, dict[str, Any]] = field(default_factory=dict)
    op_seconds: Counter[str] = field(default_factory=Counter)
    total_seconds: float = 0.0

    def per_event(self, value: float) -> float:
        return value / self.events if self.events else 0.0


@dataclass
class Scenario:
    name: str
    size: str  # contact seed size: typical | large
    sessions_at_once: int
    rounds: int
    orbit: Side = field(default_factory=Side)
    base: Side = field(default_factory=Side)
    contact_bytes: list[int] = field(default_factory=list)  # seeded item sizes
    contact_bytes_after: list[int] = field(default_factory=list)
    event_bytes: int = 0
    events_per_contact_write: float = 0.0
    viewed_bytes: list[int] = field(default_factory=list)  # the recently-viewed list inside the contact
    get_ms: tuple[float, float] = (0.0, 0.0)  # raw GetItem of a whole contact / of its key only
    ratios: list[float] = field(default_factory=list)  # per round, Orbit rate / baseline rate


@dataclass
class Redelivery:
    events: int = 0
    orbit_rate: float = 0.0
    base_rate: float = 0.0
    requests: dict[str, int] = field(default_factory=dict)
    write_units_metered: int = 0
    contact_writes: int = 0
    versions_bumped: int = 0
    new_event_rows: int = 0
    aggregates_unchanged: bool = False


class RawBaseline:
    """The minimal writes for the same events, with plain boto3 on the same backend."""

    def __init__(self, client: Any, events_table: str, contacts_table: str, retention_days: int) -> None:
        self.client = client
        self.events_table = events_table
        self.contacts_table = contacts_table
        self.retention_days = retention_days
        self.sizes: dict[str, int] = {}  # contact item sizes, for write-unit accounting
        self.log: list[tuple[str, int]] = []  # ("put", units) / ("update", contact size)

    def process(self, bodies: list[str]) -> None:

        new: Counter[str] = Counter()
        last: dict[str, str] = {}
        for body in bodies:
            event = json.loads(body)["event"]
            key = "x#" + event["identity"]["externalId"]
            received = datetime.fromisoformat(event["receivedAt"])
            item = {
                "pk": {"S": key},
                "sk": {"S": event["eventId"]},
                "ts": {"S": f"{event['timestamp']}#{event['eventId']}"},
                "t": {"S": event["type"]},
                "p": {"S": compact(event.get("properties") or {})},
                "i": {"S": compact(event["identity"])},
                "src": {"S": event.get("source", "api")},
                "rcv": {"S": event["receivedAt"]},
                "x": {"N": str(int((received + timedelta(days=self.retention_days)).timestamp()))},
            }
            try:
                self.client.put_item(
                    TableName=self.events_table, Item=item, ConditionExpression="attribute_not_exists(sk)"
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                self.log.append(("dup", _item_units(item)))
                continue
            self.log.append(("put", _item_units(item) * 2))  # + the by_time LSI copy (projection ALL)
            new[key] += 1
            last[key] = max(last.get(key, ""), event["timestamp"])
        for key, count in new.items():
            self.client.update_item(
                TableName=self.contacts_table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET lastSeenAt = :t ADD eventCount :n",
                ExpressionAttributeValues={":t": {"S": last[key]}, ":n": {"N": str(count)}},
            )
            self.log.append(("update", self.sizes.get(key, 0) + 40))  # + lastSeenAt/eventCount bytes

    def units(self) -> tuple[float, Counter[str]]:
        total, requests = 0.0, Counter[str]()
        for kind, value in self.log:
            if kind == "update":
                total += max(1, math.ceil(value / 1024))
                requests["dynamodb.UpdateItem"] += 1
            else:
                total += value
                requests["dynamodb.PutItem"] += 1
        self.log.clear()
        return total, requests


def _item_units(raw_item: dict[str, Any]) -> int:

    return write_units(item_size(raw_item))


def _records(rng: random.Random, external_ids: list[str], sessions_at_once: int, now: datetime) -> list[list[Any]]:
    """SQS records ``(message id, body)`` in batches of ``BATCH_SIZE``, as the event source would deliver them."""

    stream = interleaved_stream(rng, external_ids, EVENTS_PER_CONTACT, sessions_at_once)
    records = []
    for (ext, etype, cart), at in zip(stream, timestamps(len(stream), now), strict=True):
        raw = event_in(rng, ext, etype, cart, at)
        event = Event(
            eventId=raw["eventId"],
            type=etype,
            identity=Identity(externalId=ext),
            timestamp=at,
            receivedAt=now,
            properties=raw["properties"],
            source="api",
        )
        records.append((str(uuid.uuid4()), compact(dump(EventMsg(event=event)))))
    return chunks(records, BATCH_SIZE)


class ConsumerBench:
    def __init__(self) -> None:

        cfn = aws.client("cloudformation")
        self.settings = settings_from_env(provision(cfn, "bench"))
        raw = settings_from_env(provision(cfn, "benchraw"))
        self.stores = build(self.settings, SystemClock())
        self.meter = METER
        self.table_meters = {
            "events": TableMeter(),
            "contacts": TableMeter(),
            "orders": TableMeter(),
            "meta": TableMeter(),
        }
        self.stores.events.table.meter = self.table_meters["events"]
        self.stores.contacts.table.meter = self.table_meters["contacts"]
        self.stores.orders.table.meter = self.table_meters["orders"]
        self.stores.keys.table.meter = self.table_meters["meta"]
        self.times = OpTimes()
        self.times.wrap(self.stores.events.table, "events", ("put",))
        self.times.wrap(self.stores.contacts.table, "contacts", ("get", "batch_get", "put", "replace"))
        self.reads = ReadUnits()
        self.reads.wrap(self.stores.contacts.table)
        self.ddb = aws.client("dynamodb")  # the baseline's own client
        self.raw = RawBaseline(self.ddb, raw.events_table, raw.contacts_table, self.settings.events_retention_days)
        self.raw_contacts = DynamoContactStore(Table(self.ddb, raw.contacts_table, meter=Meter()))
        self.seed_contacts = DynamoContactStore(Table(aws.dynamodb(), self.settings.contacts_table, meter=Meter()))
        self.rng = random.Random(11)
        self.round_no = 0

    def reset_meters(self) -> None:
        self.meter.reset()
        for m in self.table_meters.values():
            m.reset()
        self.reads.reset()
        self.times.reset()

    def _seed(self, scenario: Scenario, external_ids: list[str], now: datetime) -> None:

        for ext in external_ids:
            shape = contact_seed(self.rng, ext, scenario.size, now)
            for store in (self.seed_contacts, self.raw_contacts):
                rec = ContactRecord(
                    key="x#" + ext,
                    profile=copy.deepcopy(shape["profile"]),
                    fields=copy.deepcopy(shape["fields"]),
                    channels=copy.deepcopy(shape["channels"]),
                    aggs=copy.deepcopy(shape["aggs"]),
                    created_at=iso(now - timedelta(days=400)),
                    updated_at=iso(now - timedelta(days=1)),
                )
                store.save(rec, None)
                if store is self.raw_contacts:
                    self.raw.sizes[rec.key] = rec.stored_size
                else:
                    scenario.contact_bytes.append(rec.stored_size)

    def _paired(self, batches: list[list[Any]]) -> tuple[float, float]:
        """Run every batch through Orbit and through the baseline, alternating who goes first, so load
        from anything else on the machine falls on both sides alike. Returns the seconds of each."""

        orbit, base = Stopwatch(), Stopwatch()
        for i, batch in enumerate(batches):
            for side in ("orbit", "base") if i % 2 == 0 else ("base", "orbit"):
                if side == "orbit":
                    with orbit.timed():
                        failed = Consumer(self.stores).process(batch)
                    if failed:
                        raise SystemExit(f"the consumer failed records: {failed}")
                else:
                    with base.timed():
                        self.raw.process([body for _, body in batch])
        return orbit.seconds, base.seconds

    def _collect(self, side: Side, events: int) -> None:
        snap = self.meter.snapshot()
        side.events += events
        side.requests.update(snap["requests"])
        side.write_units += snap["writeUnits"]
        side.read_units += self.reads.units
        side.op_seconds.update(self.times.seconds)
        side.total_seconds += events / side.rates[-1]
        for name, m in self.table_meters.items():
            s = m.snapshot()
            entry = side.by_table.setdefault(name, {"requests": Counter(), "writeUnits": 0})
            entry["requests"].update(s["requests"])
            entry["writeUnits"] += s["writeUnits"]

    def round(self, scenario: Scenario, measured: bool, contacts: int = CONTACTS_PER_ROUND) -> list[list[Any]]:
        self.round_no += 1
        started = time.perf_counter()
        now = datetime.now(UTC)
        ids = [f"b{self.round_no}-{scenario.size[0]}{i:03d}" for i in range(contacts)]
        self._seed(scenario, ids, now)
        seeded = time.perf_counter() - started
        batches = _records(self.rng, ids, scenario.sessions_at_once, now)
        events = sum(len(b) for b in batches)
        self.reset_meters()
        orbit_s, base_s = self._paired(batches)
        units, requests = self.raw.units()
        rates = {"orbit": rate(events, orbit_s), "base": rate(events, base_s)}
        if measured:
            for side, seconds in ((scenario.orbit, orbit_s), (scenario.base, base_s)):
                side.rates.append(rate(events, seconds))
                side.seconds_per_batch.append(seconds / len(batches))
            scenario.ratios.append(base_s / orbit_s)
            self._collect(scenario.orbit, events)
            scenario.base.events += events
            scenario.base.write_units += units
            scenario.base.requests.update(requests)
        if measured:
            loaded = self.stores.contacts.load_many(["x#" + e for e in ids])
            scenario.contact_bytes_after += [r.stored_size for r in loaded.values()]
            scenario.viewed_bytes += [
                item_size(serialize({"viewed": r.aggs.get("viewed") or []})) - len("viewed") for r in loaded.values()
            ]
        print(
            f"  {scenario.name}{'' if measured else ' (warm-up)'}: {events} events, Orbit {rates['orbit']:.0f} "
            f"ev/s, baseline {rates['base']:.0f} ev/s (round {time.perf_counter() - started:.1f} s, "
            f"seeding {seeded:.1f} s)",
            flush=True,
        )
        return batches

    def calibrate(self, key: str, calls: int = 20) -> tuple[float, float]:
        """ms per raw GetItem of a whole contact vs. of its key only, on this moto server."""
        timings = []
        for projection in (None, "pk"):
            kwargs: dict[str, Any] = {"TableName": self.settings.contacts_table, "Key": {"pk": {"S": key}}}
            if projection:
                kwargs["ProjectionExpression"] = projection
            start = time.perf_counter()
            for _ in range(calls):
                self.ddb.get_item(ConsistentRead=True, **kwargs)
            timings.append((time.perf_counter() - start) * 1000 / calls)
        return timings[0], timings[1]

    def event_item_bytes(self) -> int:

        out = self.ddb.scan(TableName=self.settings.events_table, Limit=50)
        sizes = [item_size(i) for i in out["Items"]]
        return sum(sizes) // len(sizes)

    def count_event_rows(self) -> int:
        total, kwargs = 0, {"TableName": self.settings.events_table, "Select": "COUNT"}
        while True:
            out = self.ddb.scan(**kwargs)
            total += out["Count"]
            if "LastEvaluatedKey" not in out:
                return total
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def redeliver(self, batches: list[list[Any]]) -> Redelivery:
        """Process the same records again: aggregates and event rows must not change."""
        keys = sorted({"x#" + json.loads(body)["event"]["identity"]["externalId"] for b in batches for _, body in b})
        before = {k: copy.deepcopy(r) for k, r in self.stores.contacts.load_many(keys).items()}
        rows_before = self.count_event_rows()
        self.reset_meters()
        result = Redelivery(events=sum(len(b) for b in batches))
        orbit_s, base_s = self._paired(batches)
        result.orbit_rate, result.base_rate = rate(result.events, orbit_s), rate(result.events, base_s)
        snap = self.meter.snapshot()
        result.requests = snap["requests"]
        result.write_units_metered = snap["writeUnits"]
        result.contact_writes = self.table_meters["contacts"].snapshot()["requests"].get("dynamodb.PutItem", 0)
        after = self.stores.contacts.load_many(keys)
        result.aggregates_unchanged = all(after[k].aggs == before[k].aggs for k in keys)
        result.versions_bumped = sum(after[k].version != before[k].version for k in keys)
        result.new_event_rows = self.count_event_rows() - rows_before
        self.raw.units()
        if not result.aggregates_unchanged or result.new_event_rows:
            raise SystemExit(
                f"redelivery changed state: aggregates unchanged={result.aggregates_unchanged}, "
                f"new event rows={result.new_event_rows}"
            )
        return result


def bench_consumer() -> tuple[list[Scenario], Redelivery]:
    bench = ConsumerBench()
    typical = Scenario("typical contact", "typical", SESSIONS_AT_ONCE, ROUNDS)
    # the large-contact scenarios measure cost (one smaller round each); throughput is the typical one's
    large = Scenario("large contact", "large", SESSIONS_AT_ONCE, 1)
    spread = Scenario("large contact, 10 sessions/batch", "large", 10, 1)
    bench.round(typical, measured=False, contacts=10)  # warm-up
    typical_last: list[list[Any]] = []
    for scenario in (typical, large, spread):
        for _ in range(scenario.rounds):
            batches = bench.round(scenario, measured=True, contacts=CONTACTS_PER_ROUND if scenario is typical else 15)
            if scenario is typical:
                typical_last = batches
        scenario.event_bytes = bench.event_item_bytes()
        contact_puts = scenario.orbit.by_table["contacts"]["requests"].get("dynamodb.PutItem", 0)
        scenario.events_per_contact_write = scenario.orbit.events / contact_puts if contact_puts else 0.0
    redelivery = bench.redeliver(typical_last)
    first_key = "x#" + json.loads(typical_last[0][0][1])["event"]["identity"]["externalId"]
    typical.get_ms = bench.calibrate(first_key)
    return [typical, large, spread], redelivery
