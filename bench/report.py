"""The ingest, cold start and sustained-load sections of ``docs/benchmarks.md`` and the summaries printed to
stdout (owns their wording)."""

from __future__ import annotations

import math
from collections import Counter

from bench.cold_start import APP, APP_AND_BOTO3, BARE, EMPTY, GOAL, ColdStart
from bench.common import fmt, machine_note, median, table, today
from bench.config import (
    BATCH_SIZE,
    CONTACTS_PER_ROUND,
    EVENTS_PER_CONTACT,
    EVENTS_PER_REQUEST,
    NAIVE_WCU_PER_EVENT,
    ROUNDS,
    SESSIONS_AT_ONCE,
)
from bench.consumer_phase import Redelivery, Scenario, Side
from bench.http_phase import HttpResult
from bench.imports_phase import ImportsResult
from bench.sustained import P99_GOAL_S, PROBE_GOAL, SustainedResult
from bench.sustained import Scenario as LoadScenario


def _split(side: Side) -> str:
    """Where the Orbit consumer's time went: seconds inside each kind of table call, summed over the contact
    writers running in parallel (so they can add up to more than the wall time), against the wall time."""
    total = side.total_seconds or 1.0
    events = side.by_table["events"]["requests"]
    contacts = side.by_table["contacts"]["requests"]
    parts = [
        ("event PutItem", side.op_seconds["events.put"], events.get("dynamodb.PutItem", 0)),
        (
            "contact reads",
            side.op_seconds["contacts.get"] + side.op_seconds["contacts.batch_get"],
            contacts.get("dynamodb.GetItem", 0) + contacts.get("dynamodb.BatchGetItem", 0),
        ),
        (
            "contact PutItem",
            side.op_seconds["contacts.put"] + side.op_seconds["contacts.replace"],
            contacts.get("dynamodb.PutItem", 0),
        ),
    ]
    return (
        ", ".join(
            f"{name} {seconds:.1f} s in {calls:,} calls ({seconds * 1000 / max(calls, 1):.1f} ms/call)"
            for name, seconds, calls in parts
        )
        + f", against {total:.1f} s of wall time (contacts are written 8 at a time, so calls overlap)"
    )


def _ops(requests: dict[str, int] | Counter[str], events: int) -> str:
    return ", ".join(f"{op.split('.', 1)[1]} {n / events:.2f}" for op, n in sorted(requests.items()))


def report(http: HttpResult, scenarios: list[Scenario], redelivery: Redelivery, total_seconds: float) -> str:
    typical = scenarios[0]
    http_o, http_b = median(http.orbit_rates), median(http.base_rates)
    con_o, con_b = median(typical.orbit.rates), median(typical.base.rates)
    rows = [
        [
            f"HTTP POST /v1/events ({EVENTS_PER_REQUEST}/request) -> SQS",
            fmt(http_o, 0),
            fmt(http_b, 0),
            fmt(median(http.ratios)),
        ],
        [
            f"Consumer -> DynamoDB (batches of {BATCH_SIZE})",
            fmt(con_o, 0),
            fmt(con_b, 0),
            fmt(median(typical.ratios)),
        ],
        [
            "Consumer, redelivered batches (all duplicates)",
            fmt(redelivery.orbit_rate, 0),
            fmt(redelivery.base_rate, 0),
            fmt(redelivery.orbit_rate / redelivery.base_rate),
        ],
    ]
    throughput = table(["path", "Orbit events/s", "baseline events/s", "ratio Orbit/baseline"], rows)
    split = _split(typical.orbit)
    per_request = http.handler_seconds_per_request
    in_sqs = http.sqs_seconds_per_request
    anatomy = (
        f"Anatomy of an Orbit request (mean): {per_request * 1000:.0f} ms per {EVENTS_PER_REQUEST}-event "
        f"request, of which {in_sqs * 1000:.0f} ms inside its 10 SendMessageBatch calls and "
        f"{(per_request - in_sqs) * 1000:.0f} ms ({(per_request - in_sqs) * 1000 / EVENTS_PER_REQUEST:.2f} "
        "ms/event) in the HTTP server, auth, JSON parsing, pydantic validation and message building; the "
        f"baseline's 10 calls took {http.base_seconds_per_request * 1000:.0f} ms. moto's SQS dominates both "
        "sides, so the HTTP ratio swings by about ±0.1 from run to run on a shared machine."
    )
    rounds_line = (
        f"Rounds (events/s): HTTP Orbit {[round(r) for r in http.orbit_rates]} baseline "
        f"{[round(r) for r in http.base_rates]}; consumer Orbit {[round(r) for r in typical.orbit.rates]} "
        f"baseline {[round(r) for r in typical.base.rates]}. Ratios per round: HTTP "
        f"{[round(r, 2) for r in http.ratios]}, consumer {[round(r, 2) for r in typical.ratios]}."
    )
    cost_rows = []
    for s in scenarios:
        cost_rows.append(
            [
                s.name,
                f"{median(s.contact_bytes):,.0f} -> {median(s.contact_bytes_after):,.0f}",
                fmt(s.events_per_contact_write),
                fmt(s.orbit.per_event(s.orbit.write_units)),
                fmt(s.base.per_event(s.base.write_units)),
                fmt(s.orbit.per_event(s.orbit.read_units)),
                fmt(sum(s.orbit.requests.values()) / s.orbit.events),
                fmt(sum(s.base.requests.values()) / s.base.events),
            ]
        )
    costs = table(
        [
            "consumer scenario",
            "contact item bytes (seeded -> after)",
            "events per contact write",
            "Orbit WCU/event",
            "baseline WCU/event",
            "Orbit RRU/event",
            "Orbit requests/event",
            "baseline requests/event",
        ],
        cost_rows,
    )
    ev = typical.orbit.by_table["events"]
    ct = typical.orbit.by_table["contacts"]
    breakdown = table(
        ["typical scenario, per event", "requests", "write units"],
        [
            ["events table (conditional PutItem + by_time LSI copy)", _ops(ev["requests"], typical.orbit.events),
             fmt(ev["writeUnits"] / typical.orbit.events)],
            ["contacts table (GetItem + conditional PutItem, coalesced)", _ops(ct["requests"], typical.orbit.events),
             fmt(ct["writeUnits"] / typical.orbit.events)],
            ["all (METER)", _ops(typical.orbit.requests, typical.orbit.events),
             fmt(typical.orbit.per_event(typical.orbit.write_units))],
            ["baseline (raw boto3)", _ops(typical.base.requests, typical.base.events),
             fmt(typical.base.per_event(typical.base.write_units))],
        ],
    )  # fmt: skip
    sqs_per_event = http.requests.get("sqs.SendMessageBatch", 0) / http.events
    other_http = {k: v for k, v in http.requests.items() if k != "sqs.SendMessageBatch"}
    red = redelivery
    lines = [
        "## Ingestion",
        "",
        f"Run {today()} on {machine_note()} (the brief's reference machine has 2 cores); backend: moto "
        "in-process server (`ThreadedMotoServer`) started by the local runtime (`LocalRuntime(port=0)`), "
        "the same server for Orbit and its baseline. Medians of "
        f"{ROUNDS} rounds after one warm-up; within a round Orbit and the baseline take turns request by "
        "request (HTTP) and batch by batch (consumer), alternating who goes first, and the ratio is the "
        "median of the rounds' ratios, so other load on the machine falls on both sides alike. "
        f"Total run {total_seconds:.0f} s. Regenerate with `make bench`.",
        "",
        "**Absolute events/s are moto's, not AWS's** (moto is a Python server in the same process, sharing "
        "the GIL with Orbit and the client): read the ratios. A ratio of 1.0 means Orbit costs nothing over "
        "the raw writes it must make anyway.",
        "",
        throughput,
        "",
        rounds_line,
        "",
        anatomy,
        "",
        f"Where the Orbit consumer's time went (typical scenario): {split}. moto's cost for an item grows "
        "with its nested attributes: on this server a raw boto3 GetItem of one of these contacts took "
        f"{typical.get_ms[0]:.1f} ms, and of its key alone {typical.get_ms[1]:.1f} ms. So the consumer ratio "
        "mostly measures moto reading and rewriting a 3-4 KB nested item against the baseline's "
        "two-attribute UpdateItem; on DynamoDB the latency of those calls is nearly flat. If every call "
        "took the same time, the ratio would be the baseline's requests over Orbit's: "
        f"{sum(typical.base.requests.values()) / sum(typical.orbit.requests.values()):.2f}.",
        "",
        "- HTTP: the real local HTTP server (Chalice's dev server; auth, JSON parsing, pydantic validation, "
        f"`accept_events`, `SqsQueue.send`), one keep-alive connection, {EVENTS_PER_REQUEST} events of "
        f"~{http.request_bytes // EVENTS_PER_REQUEST} bytes each per request, vs. raw `send_message_batch` of "
        f"the same {http.body_bytes}-byte message bodies, 10 per call. The queue's pollers are stopped and the "
        "queue is purged after every request on both sides (moto's SendMessageBatch slows as the queue "
        "deepens), so both sides see a depth of 0-100.",
        f"- Consumer: `Consumer(stores).process` over batches of {BATCH_SIZE} SQS records, "
        f"{CONTACTS_PER_ROUND} contacts per round with {EVENTS_PER_CONTACT[0]}-{EVENTS_PER_CONTACT[1]} events "
        f"each, {SESSIONS_AT_ONCE} browsing sessions interleaved in the queue at a time "
        "(page/product views, searches, cart adds and updates, wishlist). Baseline: raw boto3, one conditional "
        "PutItem per event into a copy of the events table + one UpdateItem (`SET lastSeenAt ADD eventCount`) "
        "per contact per batch into a copy of the contacts table, seeded with the same contacts.",
        f"- Redelivery: the last round's {red.events} records processed again. Aggregates unchanged: "
        f"{'yes' if red.aggregates_unchanged else 'NO'}; new event rows: {red.new_event_rows}. "
        f"Requests/event: {_ops(red.requests, red.events)}; write units/event "
        f"{red.write_units_metered / red.events:.2f} (a duplicate's failed conditional put is billed on the base "
        f"table only, nothing reaches the index); contacts rewritten: {red.versions_bumped} "
        f"(contact PutItems: {red.contact_writes}).",
        "",
        "### Cost per ingested event",
        "",
        f"HTTP phase: {sqs_per_event:.2f} SQS requests/event (SendMessageBatch of 10; "
        f"{http.billed_sqs_per_batch:.0f} billed request per call at {http.body_bytes * 10 / 1024:.1f} KB, "
        "SQS bills per 64 KB chunk)"
        + (f"; other requests per event: {_ops(other_http, http.events)}" if other_http else "")
        + ". The consumer side adds ReceiveMessage + DeleteMessageBatch per batch of 10 (0.2/event, made by "
        "Lambda's event source mapping, not counted here).",
        "",
        costs,
        "",
        breakdown,
        "",
        f"The event item is ~{typical.event_bytes} bytes: 1 WCU for the row + 1 WCU for its copy in the "
        "`by_time` LSI (projection ALL) = 2 WCU/event, with dedupe folded into the same conditional put "
        "(no dedupe row). The contact is written once per contact per batch, at ceil(size / 1 KB) WCU, so "
        "its share is that divided by the events per contact write. The issue's naive design pays "
        f"~{NAIVE_WCU_PER_EVENT} WCU/event (dedupe row 1 + event row 1 + 4 KB contact rewrite 4). "
        "See [cost.md](cost.md) for the model and a monthly estimate.",
    ]
    return "\n".join(lines)


def print_summary(http: HttpResult, scenarios: list[Scenario], redelivery: Redelivery) -> None:
    typical = scenarios[0]
    print()
    print(
        table(
            ["path", "Orbit ev/s", "baseline ev/s", "ratio"],
            [
                [
                    "HTTP POST /v1/events -> SQS",
                    fmt(median(http.orbit_rates), 0),
                    fmt(median(http.base_rates), 0),
                    fmt(median(http.ratios)),
                ],
                [
                    "Consumer -> DynamoDB",
                    fmt(median(typical.orbit.rates), 0),
                    fmt(median(typical.base.rates), 0),
                    fmt(median(typical.ratios)),
                ],
                [
                    "Consumer, redelivery",
                    fmt(redelivery.orbit_rate, 0),
                    fmt(redelivery.base_rate, 0),
                    fmt(redelivery.orbit_rate / redelivery.base_rate),
                ],
            ],
        )
    )
    print()
    print(
        table(
            ["consumer scenario", "contact B", "ev/contact write", "WCU/ev", "base WCU/ev", "RRU/ev", "req/ev"],
            [
                [
                    s.name,
                    f"{median(s.contact_bytes_after):,.0f}",
                    fmt(s.events_per_contact_write),
                    fmt(s.orbit.per_event(s.orbit.write_units)),
                    fmt(s.base.per_event(s.base.write_units)),
                    fmt(s.orbit.per_event(s.orbit.read_units)),
                    _ops(s.orbit.requests, s.orbit.events),
                ]
                for s in scenarios
            ],
        )
    )
    print()
    print(f"Consumer time split (typical): {_split(typical.orbit)}")
    print(
        f"HTTP request (mean): Orbit {http.handler_seconds_per_request * 1000:.0f} ms, of which "
        f"{http.sqs_seconds_per_request * 1000:.0f} ms in SendMessageBatch; baseline "
        f"{http.base_seconds_per_request * 1000:.0f} ms"
    )
    print(f"HTTP phase requests/event: {_ops(http.requests, http.events)}")
    print(
        f"Redelivery: aggregates unchanged={redelivery.aggregates_unchanged}, new event rows="
        f"{redelivery.new_event_rows}, contacts rewritten={redelivery.versions_bumped}, "
        f"WCU/event={redelivery.write_units_metered / redelivery.events:.2f}"
    )
    print(f"Naive design: ~{NAIVE_WCU_PER_EVENT} WCU/event")


# cold start --------------------------------------------------------------------------------------


def _cold_row(result: ColdStart, label: str, code: str) -> list[str]:
    return [
        label,
        f"`{code}`",
        fmt(result.median(code) * 1000, 0),
        fmt(result.p90(code) * 1000, 0),
        fmt(result.median(code) / result.median(BARE)),
    ]


def cold_start_section(result: ColdStart) -> str:
    """The ``Cold start`` section of docs/benchmarks.md."""
    rows = [
        _cold_row(result, "the app (what every cold start pays)", APP),
        _cold_row(result, "baseline: the bare frameworks", BARE),
        _cold_row(result, "the app, then boto3 (before a function's first AWS call)", APP_AND_BOTO3),
        _cold_row(result, "an empty interpreter", EMPTY),
    ]
    heavy = ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in result.heaviest)
    verdict = "met" if result.within_goal else "**missed**"
    own = result.median(APP_AND_BOTO3) - result.median(BARE)
    return "\n".join(
        [
            "## Cold start",
            "",
            f"Run {today()} on {machine_note()}. Each sample is a fresh `python -c` subprocess, wall clock from "
            f"spawn to exit (interpreter start-up included); {result.runs} runs of each, taking turns run by run, "
            "after one warm-up that compiles the bytecode. Regenerate with `make bench` "
            "(`python -m bench.cold_start` prints the figures alone).",
            "",
            table(["what", "code", "median ms", "p90 ms", "ratio to baseline"], rows),
            "",
            f"**`import app` / bare import: {result.ratio:.2f}x** (goal < {GOAL}x: {verdict}).",
            "",
            "What `import app` leaves for later: `chalicelib.deps` imports the DynamoDB and SQS adapters, and "
            "with them boto3 and the feed downloader (http.client, ssl, urllib.request), inside `build()`, on a "
            "function's first use of its ports; the jobs import their use cases when they run; the XML feed "
            "parser imports xml.etree when it parses (the CSV parser imports csv too, though pydantic's plugin "
            "loader loads it anyway); the eSputnik mapper loads on the first `track` call; the OpenAPI document "
            "(pydantic's JSON-schema generation) and the docs page are built on the first request for them and "
            "kept. What remains is registering the routes and building the pydantic models they validate with "
            "(the baseline's `import pydantic` is lazy: it does not load `pydantic.main`, which any model needs).",
            "",
            "A function that reaches AWS still pays boto3 on its first call (third row): what the app itself adds "
            f"to the frameworks is that row minus the baseline, {own * 1000:.0f} ms. "
            "`tests/unit/test_cold_start_imports.py` keeps these imports out of `import app` without timing "
            "anything.",
            "",
            "Where that time goes: the self time of the modules only the app loads, summed per package (one "
            "`python -X importtime` run, which inflates every figure somewhat; a module's time includes building "
            f"the pydantic models it defines): {heavy}.",
        ]
    )


def print_cold_start(result: ColdStart) -> None:
    print(
        f"Cold start: import app {result.median(APP) * 1000:.0f} ms (p90 {result.p90(APP) * 1000:.0f}) vs bare "
        f"import {result.median(BARE) * 1000:.0f} ms (p90 {result.p90(BARE) * 1000:.0f}): {result.ratio:.2f}x "
        f"(goal < {GOAL}x); app then boto3 {result.median(APP_AND_BOTO3) * 1000:.0f} ms"
    )


# sustained load ----------------------------------------------------------------------------------


def _drain(s: LoadScenario) -> str:
    if s.drain_seconds is not None:
        return f"{s.drain_seconds:.1f} s"
    return f"not within {s.drain_waited:.0f} s"


def _load_notes(s: LoadScenario, per_request: int) -> list[str]:
    notes = []
    if not s.send_complete:
        notes.append(
            f"the clients stopped at the send budget after {s.requests + s.failed_requests} of "
            f"{math.ceil(s.planned / per_request)} requests"
        )
    if s.failed_requests:
        notes.append(f"{s.failed_requests} requests failed or timed out (first: {s.errors[0] if s.errors else '?'})")
    if s.drain_seconds is None:
        rest = s.expected - s.folded
        eta = f"; at that rate the rest needs ~{rest / s.fold_rate:.0f} s more" if s.fold_rate else ""
        notes.append(
            f"when the drain budget ran out {s.folded:,} of {s.expected:,} events were folded "
            f"({s.fold_rate:,.0f} events/s since the consumer started{eta})"
        )
    if s.runtime_problems:
        example = s.problem_examples[0] if s.problem_examples else "?"
        notes.append(f"the runtime logged {s.runtime_problems} warning or error lines (first: `{example[:200]}`)")
    return notes


def sustained_section(result: SustainedResult) -> str:
    """The ``Sustained load`` section of docs/benchmarks.md."""
    cfg = result.config
    drained, backlog = result.scenarios[0], result.scenarios[-1]
    rows = [
        [
            s.name,
            f"{s.depth_at_start:,} ({s.max_depth:,})",
            f"{s.requests} / {s.failed_requests}",
            fmt(s.p50),
            fmt(s.p99),
            fmt(s.accept_rate, 0),
            _drain(s),
            f"{s.folded:,} of {s.expected:,}",
            fmt(s.end_to_end_rate, 0) if s.end_to_end_rate is not None else "-",
        ]
        for s in result.scenarios
    ]
    headers = [
        "scenario",
        "queue depth at start (max)",
        "requests ok / failed",
        "p50 s",
        "p99 s",
        "accepted events/s",
        "drain after last answer",
        "events folded",
        "end-to-end events/s",
    ]
    p99 = max(s.p99 for s in result.scenarios)
    lines = [
        "## Sustained load (`make run`)",
        "",
        f"Run {today()} on {machine_note()}. Each scenario starts the local runtime as `make run` does "
        "(`python -m chalicelib.local.runtime` in a subprocess: embedded AWS in its child process, HTTP server, "
        f"SQS pollers and scheduler; ready in {drained.startup_seconds:.1f} s; a temporary data folder). "
        f"{cfg.clients} clients, each on its own keep-alive connection, send {cfg.events:,} events (Product "
        f"Viewed, Cart Updated, Login, with properties, from {cfg.contacts} contacts) as `POST /v1/events` "
        f"requests of {cfg.per_request}; the consumer runs throughout and nothing is purged. The drain time runs "
        "from the last answer until the events queue is empty and the contacts' cards count every event queued "
        f"in the scenario. Budgets: {cfg.send_budget_s:.0f} s of sending, {cfg.drain_budget_s:.0f} s of "
        f"draining, {cfg.prefill_budget_s:.0f} s of pre-fill. Total run {result.total_seconds:.0f} s. "
        "Regenerate with `make bench` (`BENCH_QUICK=1` for a small run; `python -m bench.sustained` prints the "
        "figures alone).",
        "",
        table(headers, rows),
        "",
        f"**SendMessageBatch at depth {backlog.probe.depth:,} / at depth {drained.probe.depth:,}: "
        f"{result.probe_ratio:.2f}x** (goal <= {PROBE_GOAL}x; raw boto3 against the embedded SQS, 10 event "
        f"messages per call, median of {cfg.probes} calls each: {backlog.probe.median * 1000:.1f} ms vs "
        f"{drained.probe.median * 1000:.1f} ms). **p99 of a {cfg.per_request}-event request: {p99:.2f} s** "
        f"(goal < {P99_GOAL_S:.0f} s: {'met' if p99 < P99_GOAL_S else 'missed'}; the worse scenario's, nearest "
        f"rank, so with {max(s.requests for s in result.scenarios)} requests it is the slowest).",
        "",
        f"- {backlog.name}: {_prefill_note(backlog, cfg.backlog)}",
    ]
    for s in result.scenarios:
        notes = _load_notes(s, cfg.per_request)
        if notes:
            lines.append(f"- {s.name}: " + "; ".join(notes) + ".")
    return "\n".join(lines)


def _prefill_note(s: LoadScenario, backlog: int) -> str:
    reached = "reached" if s.prefill_complete else "**not reached** within the pre-fill budget"
    sent = f"{s.prefilled:,} real event messages sent straight to SQS by 4 senders in {s.prefill_seconds:.1f} s"
    if s.prefill_how == "pollers off":
        return (
            f"the events queue was filled with the pollers off (`ORBIT_POLLERS=0`): {sent}, target {backlog:,} "
            f"{reached}; the SendMessageBatch probe ran at that depth. The runtime then restarted with its pollers "
            f"on ({s.restart_seconds:.1f} s to stop, save, start and restore), and {s.restored_depth:,} messages "
            "stood in the queue. Their events are part of what must be folded."
        )
    return (
        f"the events queue was filled with the consumer running (the runtime did not switch its pollers off): "
        f"{sent}, topping up what the consumer ate until the depth reached {backlog:,} ({reached}). Their "
        "events are part of what must be folded."
    )


def print_sustained(result: SustainedResult) -> None:
    for s in result.scenarios:
        print(
            f"Sustained, {s.name}: depth {s.depth_at_start:,} (max {s.max_depth:,}), {s.accepted:,} accepted at "
            f"{s.accept_rate:,.0f} events/s, p50 {s.p50:.2f} s, p99 {s.p99:.2f} s, drain {_drain(s)}, folded "
            f"{s.folded:,} of {s.expected:,}"
        )
    print(f"Sustained, SendMessageBatch deep/shallow: {result.probe_ratio:.2f}x (goal <= {PROBE_GOAL}x)")


# imports -----------------------------------------------------------------------------------------


# The same import before the embedded AWS answered index queries from an index of its own
# (chalicelib/local/moto_dynamodb.py), measured with this section on 2026-11-27 (2 cores, x86_64).
IMPORTS_BEFORE_INDEX = (
    "Before the embedded AWS kept an index of its own for them (`chalicelib/local/moto_dynamodb.py`), moto "
    "answered a query on a global secondary index by reading and sorting every item of the table, so the "
    "email and phone uniqueness checks cost more with every contact imported: the same import ran at 18 to 19 "
    "rows/s, `contacts.query` taking 53 to 69% of the time inside the calls."
)


def imports_section(result: ImportsResult) -> str:
    ops = sorted(result.op_seconds.items(), key=lambda kv: -kv[1])
    inside = sum(result.op_seconds.values())
    op_rows = [
        [name, f"{result.calls[name]:,}", fmt(seconds, 1), fmt(100 * seconds / inside if inside else 0.0, 0)]
        for name, seconds in ops
    ]
    calls = sum(result.calls.values())
    per_call_ms = 1000 * inside / calls if calls else 0.0
    query_ms = 1000 * result.op_seconds["contacts.query"] / max(result.calls["contacts.query"], 1)
    return "\n".join(
        [
            "## Contact imports",
            "",
            f"{result.rows:,} contacts (External ID, email, phone, two names, one declared field) imported in "
            f"{result.chunks} chunks and applied by the imports consumer (`imports.consume`), beside the same "
            "contacts written straight with BatchWriteItem (25 a call) into a table of their own, both on the "
            f"local runtime's moto; {machine_note()}, {today()}.",
            "",
            table(
                ["", "seconds", "rows/s"],
                [
                    ["Orbit import (apply)", fmt(result.orbit_seconds, 1), fmt(result.orbit_rate, 0)],
                    ["raw BatchWriteItem", fmt(result.base_seconds, 1), fmt(result.base_rate, 0)],
                ],
            ),
            "",
            f"Succeeded {result.succeeded:,}, failed {result.failed:,}; Orbit / baseline: "
            f"{fmt(result.orbit_rate / result.base_rate if result.base_rate else 0.0)}. Each row costs Orbit what "
            "the baseline skips: reading the contact, checking that no other contact holds its email and phone, "
            "checking suppressions, a conditional write and looking for earlier anonymous profiles to merge.",
            "",
            "What remains of the gap is the number of calls and moto's cost per call, not DynamoDB's: each row "
            f"makes {fmt(calls / result.rows, 1)} table calls where the baseline makes 1/25 of one, and the local "
            "runtime's moto answers every call in one Python process, so the "
            f"{result.concurrency} parallel workers wait their turn for it: a call took {fmt(per_call_ms, 1)} ms on "
            "average, whatever it did. The uniqueness checks are no longer special: a `contacts.query` on the "
            f"email or phone index took {fmt(query_ms, 1)} ms, like any other call, and no longer grows with the "
            "table (the embedded AWS answers it from the items holding that email or phone), as DynamoDB answers "
            "it from the index in a few milliseconds whatever the table's size.",
            "",
            IMPORTS_BEFORE_INDEX,
            "",
            "Where the apply's time goes (seconds inside each table call, summed over the parallel workers, so they "
            f"may add up to more than the wall time; {fmt(inside, 1)} s in all):",
            "",
            table(["call", "calls", "seconds", "% of the time in calls"], op_rows),
            "",
            "Regenerate with `python -m bench.ingest imports` (`BENCH_IMPORT_ROWS` changes the row count).",
        ]
    )


def print_imports(result: ImportsResult) -> None:
    print(
        f"imports: {result.rows:,} rows in {result.orbit_seconds:.1f} s ({result.orbit_rate:,.0f} rows/s; "
        f"{result.succeeded:,} ok, {result.failed:,} failed) vs. raw BatchWriteItem {result.base_seconds:.1f} s "
        f"({result.base_rate:,.0f} rows/s)"
    )
    for name, seconds in sorted(result.op_seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<22} {result.calls[name]:>7,} calls {seconds:>7.1f} s")
