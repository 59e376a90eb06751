"""The ``campaigns`` section of ``make bench``: campaign fan-out throughput beside a raw baseline of the same
ledger writes, measured in the same run on the local runtime's moto (docs/campaigns.md; issue 11, "Benchmark").

1. **Orbit**: ``campaigns.create`` of an email campaign to a list of ``contacts`` members, then the imports stream
   drained through ``background.consume`` (batches of up to 10 messages, one after another) until the campaign is
   done: every page fanned out, every message rendered (Jinja, CSS inlined, links signed), checked against
   consent and the policies (a daily and a weekly cap, so every message writes its cap counter; send hours that
   allow the whole day), claimed in the ledger, handed to the sandbox sender (its outbox copy) and recorded, with
   its Message Sent / Delivered events published. The token bucket is opened wide: this measures the pipeline,
   not the configured provider rate.
2. **Raw baseline**: the same ledger writes with boto3 for as many contacts, one after another: the conditional
   claim PutItem, the message record PutItem, and the two conditional status UpdateItems (pending -> sending ->
   sent): the floor of sending exactly once.

Recorded: messages per second of each, and the write units per message sent (the messages table's meters:
DynamoDB's sizing rules, as ``chalicelib.storage.items`` counts them; the contacts and events tables are not
written by a send, the Message events travel on the events stream).

Sizes: ``CampaignsConfig`` (``BENCH_QUICK=1`` for a small run, ``BENCH_CAMPAIGNS_CONTACTS`` overrides).
Run alone: ``python -m bench.ingest campaigns``.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.common import fmt, machine_note, today
from bench.config import quick


@dataclass(frozen=True)
class CampaignsConfig:
    contacts: int = 300  # on moto a send is ~15 calls: this keeps the section near a minute


QUICK_CAMPAIGNS = CampaignsConfig(contacts=60)


def campaigns_config(env: Mapping[str, str] = os.environ) -> CampaignsConfig:
    base = QUICK_CAMPAIGNS if quick(env) else CampaignsConfig()
    raw = env.get("BENCH_CAMPAIGNS_CONTACTS")
    return dataclasses.replace(base, contacts=int(raw)) if raw else base


@dataclass
class CampaignsResult:
    contacts: int
    sent: int = 0
    orbit_seconds: float = 0.0
    raw_seconds: float = 0.0
    orbit_units: int = 0
    raw_units: int = 0
    queue_messages: int = 0
    elapsed: float = 0.0

    @property
    def orbit_rate(self) -> float:
        return self.sent / self.orbit_seconds if self.orbit_seconds else 0.0

    @property
    def raw_rate(self) -> float:
        return self.contacts / self.raw_seconds if self.raw_seconds else 0.0


HTML = (
    "<html><head><style>p { color: #333 }</style></head><body><p>Hi {{ contact.firstName }}</p>"
    '<p><a href="https://shop.example/sale">Sale</a></p></body></html>'
)


def bench_campaigns(config: CampaignsConfig) -> CampaignsResult:
    """Both runs on the running local runtime's moto (``AWS_ENDPOINT_URL`` set by ``LocalRuntime``)."""
    from chalicelib import aws
    from chalicelib.clock import FixedClock, iso
    from chalicelib.contacts.record import ContactRecord
    from chalicelib.deps import build
    from chalicelib.local.provision import provision
    from chalicelib.messaging.campaigns import DONE
    from chalicelib.messaging.policies import Cap, Policies
    from chalicelib.messaging.templates import TemplateIn
    from chalicelib.segments import rules
    from chalicelib.segments.models import Generation, MemberState
    from chalicelib.services import background, templates
    from chalicelib.services.messaging import campaigns
    from chalicelib.services.segments import definitions
    from chalicelib.settings import settings_from_env
    from chalicelib.storage.dynamo import Table
    from chalicelib.storage.items import Meter, serialize
    from chalicelib.storage.segments import _state_item

    started = time.perf_counter()
    cfn = aws.client("cloudformation")
    settings = settings_from_env(provision(cfn, "benchcampaigns"))
    raw_settings = settings_from_env(provision(cfn, "benchcampaignsraw"))
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    ports = build(settings, FixedClock(now))
    ports = dataclasses.replace(
        ports, policies=Policies(caps={"email": Cap(daily=5, weekly=20)}, hours=(0, 24), default_zone="UTC")
    )
    result = CampaignsResult(contacts=config.contacts)

    # the audience: contacts with an email, all members of the list "vip" (written directly, untimed)
    stamp = iso(now)
    for i in range(config.contacts):
        ports.contacts.save(
            ContactRecord(key=f"x#c{i}", profile={"email": f"c{i}@example.com", "firstName": f"C{i}"}), None
        )
    definitions.create_list(ports, rules.ListIn(id="vip", name="VIP"))
    state = MemberState(member=True, version=0, since=stamp, changed_at=stamp)
    Table(aws.client("dynamodb"), settings.segments_table, meter=Meter()).batch_put(
        [_state_item(Generation("vip", 0), f"x#c{i}", state) for i in range(config.contacts)]
    )
    body = {"from": "Shop <shop@example.com>", "subject": "Hi {{ contact.firstName }}", "html": HTML}
    templates.create(ports, TemplateIn(id="sale", name="Sale", channel="email", content=body))

    # 1. Orbit
    tables = [ports.messages.table, ports.caps.table, ports.campaigns.table]  # type: ignore[attr-defined]
    for table in tables:
        table.meter = Meter()
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.imports_queue)["QueueUrl"]
    saved = campaigns.BUCKETS
    campaigns.BUCKETS = campaigns.Buckets(rates={"email": 1e9})
    t0 = time.perf_counter()
    try:
        campaign = campaigns.create(ports, campaigns.CampaignIn(templateId="sale", audience="vip"), "https://b.example")
        for _ in range(100_000):
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            messages = out.get("Messages", [])
            if not messages:
                found = ports.campaigns.campaign(campaign.id)
                if found is not None and found.status == DONE:
                    break
                continue
            failed = background.consume(ports, [(m["MessageId"], m["Body"]) for m in messages])
            if failed:
                raise RuntimeError(f"campaign messages failed: {failed}")
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )
            result.queue_messages += len(messages)
    finally:
        campaigns.BUCKETS = saved
    result.orbit_seconds = time.perf_counter() - t0
    done = ports.campaigns.campaign(campaign.id)
    result.sent = done.progress.get("sent", 0) if done else 0
    result.orbit_units = sum(t.meter.write_units for t in tables)

    # 2. the raw baseline: the same ledger writes with boto3
    ddb = aws.client("dynamodb")
    raw = Table(ddb, raw_settings.messages_table, meter=Meter())
    t0 = time.perf_counter()
    for i in range(config.contacts):
        mid = f"msg_raw{i:08d}"
        raw.put({"pk": f"L#raw{i}", "sk": "claim", "mid": mid, "at": stamp}, "attribute_not_exists(pk)")
        raw.put(
            {"pk": f"M#{mid}", "sk": "msg", "status": "pending", "ck": f"x#c{i}", "ch": "email", "createdAt": stamp},
            "attribute_not_exists(pk)",
        )
        for before, after in (("pending", "sending"), ("sending", "sent")):
            _raw_status(ddb, raw, mid, before, after, serialize)
    result.raw_seconds = time.perf_counter() - t0
    result.raw_units = raw.meter.write_units
    result.elapsed = time.perf_counter() - started
    return result


def _raw_status(ddb: Any, table: Any, mid: str, before: str, after: str, serialize: Any) -> None:
    ddb.update_item(
        TableName=table.name,
        Key=serialize({"pk": f"M#{mid}", "sk": "msg"}),
        UpdateExpression="SET #s = :after",
        ConditionExpression="#s = :before",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=serialize({":before": before, ":after": after}),
    )
    table.meter.request("dynamodb.UpdateItem", 1)


def campaigns_section(result: CampaignsResult) -> str:
    ratio = result.orbit_rate / result.raw_rate if result.raw_rate else 0.0
    per_message = result.orbit_units / result.sent if result.sent else 0.0
    raw_per = result.raw_units / result.contacts if result.contacts else 0.0
    return "\n".join(
        [
            "## Campaigns: fan-out throughput",
            "",
            f"Measured {today()} on moto ({machine_note()}); `python -m bench.ingest campaigns`, "
            f"{result.contacts:,} list members, {result.queue_messages:,} imports-stream messages, "
            f"{result.elapsed:.0f} s in all. An email campaign through render, consent and policies (caps counted, "
            "send hours open all day), the ledger and the sandbox sender, until `done`; beside it, the same "
            "ledger writes with raw boto3 (claim, record, two status updates) for as many contacts. "
            "Moto's per-call latency dominates both: the ratio is what carries over to DynamoDB.",
            "",
            "| | messages | seconds | messages/s | write units / message |",
            "|---|---:|---:|---:|---:|",
            f"| Orbit campaign | {result.sent:,} | {fmt(result.orbit_seconds)} | {fmt(result.orbit_rate, 1)} | "
            f"{fmt(per_message)} |",
            f"| raw ledger writes | {result.contacts:,} | {fmt(result.raw_seconds)} | {fmt(result.raw_rate, 1)} | "
            f"{fmt(raw_per)} |",
            "",
            f"Orbit sends at {fmt(ratio)}x the raw ledger writes' rate. Its extra writes per message: the cap "
            "counter, the member's outcome mark (a transaction with the progress counter), the sandbox's outbox "
            "copy and the delivered counter.",
        ]
    )


def print_campaigns(result: CampaignsResult) -> None:
    print(
        f"campaigns: Orbit {result.sent} sent in {result.orbit_seconds:.1f} s ({result.orbit_rate:.1f}/s, "
        f"{result.orbit_units / max(result.sent, 1):.2f} WU/message); raw ledger writes "
        f"{result.raw_rate:.1f}/s ({result.raw_units / max(result.contacts, 1):.2f} WU/message)"
    )
