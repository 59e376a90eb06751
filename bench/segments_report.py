"""The ``segments`` section of ``docs/benchmarks.md`` and its summary on stdout (owns their wording; the figures
come from ``bench.segments_phase``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.common import fmt, machine_note, table, today
from bench.segments_phase import (
    RULE,
    SHOE_LOVERS,
    VIEWED_RULE,
    BuildResult,
    EvalResult,
    LatencyResult,
    Run,
    SegmentsConfig,
    p50,
    p90,
)

BUILD_GOAL = 1.25  # a full computation / the raw parallel scan of the same table
SWEEP_GOAL = 0.05  # the sweep after 1% of the contacts reach their moment / a full computation


@dataclass
class SegmentsResult:
    config: SegmentsConfig
    evaluation: EvalResult
    build: BuildResult
    latency: LatencyResult
    total_seconds: float = 0.0


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _ms(seconds: float, count: int) -> str:
    return fmt(1000 * seconds / count, 1) if count else "-"


def _calls_table(run: Run, contacts: int, per: str = "per contact") -> str:
    """Seconds inside each kind of call, per call and per evaluated contact, and the rest (Orbit's own Python)."""
    rows = []
    for name, seconds in sorted(run.call_seconds.items(), key=lambda kv: -kv[1]):
        calls = run.calls[name]
        rows.append(
            [
                f"`{name}`",
                f"{calls:,}",
                fmt(calls / contacts, 3),
                fmt(seconds, 1),
                _ms(seconds, calls),
                fmt(100 * seconds / run.seconds, 0),
            ]
        )
    rest = max(run.seconds - run.inside_calls, 0.0)
    rows.append(["Orbit's own code (no call)", "-", "-", fmt(rest, 1), "-", fmt(100 * rest / run.seconds, 0)])
    share = 100 * run.evaluate_seconds / run.seconds
    rows.append(["  of which `evaluate()`", "-", "-", fmt(run.evaluate_seconds, 2), "-", fmt(share, 1)])
    return table(["call", "calls", per, "seconds", "ms/call", "% of wall"], rows)


def _trouble(lat: LatencyResult) -> str:
    found = lat.errors + lat.problem_examples
    return f" (first: {'; '.join(found)[:600]})" if found else ""


def segments_section(result: SegmentsResult) -> str:
    ev, b, lat = result.evaluation, result.build, result.latency
    n = b.contacts
    orbit_us, base_us = ev.us_per_contact
    scan_calls = b.scan_before.calls.get("contacts.scan", 0)
    scan_per_contact_ms = 1000 * b.scan_seconds / n
    query_calls = b.orbit.calls.get("segments.query", 0)
    query_seconds = b.orbit.call_seconds.get("segments.query", 0.0)
    writing = ("segments.get_item", "segments.put_item", "segments.transact_write_items", "segments.delete_item")
    write_calls = sum(b.orbit.calls.get(k, 0) for k in writing)
    write_seconds = sum(b.orbit.call_seconds.get(k, 0.0) for k in writing)
    states = b.members + b.moment_states
    orbit_requests = b.orbit.requests
    base_requests = b.scan_before.requests
    same_cost_ratio = orbit_requests / base_requests if base_requests else 0.0
    extra = b.orbit.seconds - b.scan_seconds
    own = max(b.orbit.seconds - b.orbit.inside_calls, 0.0)
    sweep = b.sweep_counts
    sweep_requests = b.sweep.requests
    full_requests = b.viewed_build.requests
    full = b.viewed_build
    scan_share_full = full.call_seconds.get("contacts.scan", 0.0) / full.seconds if full.seconds else 0.0
    ev_p50, ev_p90 = p50(lat.event_seconds), p90(lat.event_seconds)
    en_p50, en_p90 = p50(lat.entered_seconds), p90(lat.entered_seconds)
    summary = table(
        ["measure", "Orbit", "baseline (same run)", "Orbit / baseline", "goal"],
        [
            [
                "1. rule evaluation, six conditions (contacts/s per core)",
                fmt(ev.orbit_rate, 0),
                f"{fmt(ev.base_rate, 0)} (hand-written)",
                f"{fmt(ev.ratio, 3)} (speed)",
                "-",
            ],
            [
                f"2. full computation of {n:,} contacts (s)",
                fmt(b.orbit.seconds, 1),
                f"{fmt(b.scan_seconds, 1)} (raw parallel scan)",
                fmt(b.ratio),
                f"< {BUILD_GOAL}: {_verdict(b.ratio < BUILD_GOAL)}",
            ],
            [
                "   the same, against scan + BatchWriteItem of the members (s)",
                fmt(b.orbit.seconds, 1),
                fmt(b.scan_write_seconds, 1),
                fmt(b.orbit.seconds / b.scan_write_seconds if b.scan_write_seconds else 0.0),
                "-",
            ],
            [
                f"3. sweep, {sweep.get('due', 0):,} contacts due (s)",
                fmt(b.sweep.seconds, 2),
                f"{fmt(b.viewed_build.seconds, 1)} (full computation)",
                fmt(b.sweep_ratio, 3),
                f"< {SWEEP_GOAL}: {_verdict(b.sweep_ratio < SWEEP_GOAL)}",
            ],
            [
                "4. event -> `Segment Entered` in the activity, median / p90 (s)",
                f"{fmt(en_p50)} / {fmt(en_p90)}",
                f"{fmt(ev_p50)} / {fmt(ev_p90)} (the event itself)",
                fmt(en_p50 / ev_p50 if ev_p50 else 0.0),
                "-",
            ],
        ],
    )
    agree = (
        f"they agree on all {ev.contacts:,} contacts"
        if not ev.disagreements
        else f"**they disagree on {ev.disagreements:,} contacts** (e.g. {'; '.join(ev.examples)})"
    )
    lines = [
        "## Segments",
        "",
        f"Run {today()} on {machine_note()}; total {result.total_seconds:.0f} s. Regenerate with "
        "`python -m bench.ingest segments` (`make bench` runs it too; `BENCH_QUICK=1` for a small run, "
        "`BENCH_SEGMENTS_<NAME>` overrides one size of `bench.segments_phase.SegmentsConfig`). Every figure stands "
        "beside a baseline measured in the same run; the ratios are the point, and the absolute times of sections "
        "2 and 3 are moto's, not DynamoDB's (see the notes).",
        "",
        summary,
        "",
        "### 1. Rule evaluation",
        "",
        f"`evaluate(rule, None, Facts)` of the six-condition rule below over {ev.contacts:,} synthetic contacts in "
        "memory, one thread, CPU time of that thread (so: per core, whatever else the machine runs), in blocks of "
        f"{ev.block:,} contacts that take turns with the baseline (evaluator first, then baseline first). The "
        "contacts are as the contacts table hands them back: profile, three declared fields, built-in daily "
        "counters of five event types, the two segment counters the rule registers (shoe views kept 7 days, "
        "email clicks 30), orders with order days, 10% in the `vip` list, local dates in three time zones or UTC. "
        "Baseline: a hand-written function computing every one of the six conditions from the same records "
        "(day keys, time zones and each zone's today prepared once), the cost floor of reading the data; "
        f"{agree} ({ev.members:,} members, {100 * ev.members / max(ev.contacts, 1):.1f}%).",
        "",
        "```json",
        json.dumps(RULE, separators=(", ", ": ")),
        "```",
        "",
        f"**{fmt(ev.orbit_rate, 0)} contacts/s per core** ({fmt(orbit_us, 0)} µs a contact) against "
        f"{fmt(ev.base_rate, 0)} ({fmt(base_us, 1)} µs) for the hand-written function: the evaluator runs at "
        f"{fmt(ev.ratio, 3)} of its speed (median of {len(ev.ratios)} blocks; wall clock "
        f"{fmt(ev.orbit_wall, 1)} s vs {fmt(ev.base_wall, 1)} s). What the difference buys: the evaluator reads "
        "any rule, not one, and for each contact it also computes the next moment time alone may change the "
        "verdict (stored for the sweep) and a full explanation (every condition's value and the data it used, "
        "windows formatted as ISO times), which `explain` serves and the computations discard. At this speed one "
        "core evaluates 100,000 contacts in "
        f"{fmt(100_000 / ev.orbit_rate if ev.orbit_rate else 0.0, 0)} s, a small part of a full computation's cost "
        "(section 2: `evaluate()` is about "
        f"{fmt(100 * b.orbit.evaluate_seconds / b.orbit.seconds if b.orbit.seconds else 0.0, 1)}% of it on moto).",
        "",
        "### 2. Full computation vs. a raw parallel scan",
        "",
        f"{n:,} contacts like those of section 1 (~{b.item_bytes:,} bytes each as DynamoDB sizes them, 6 recently "
        f"viewed products and a cart included; {b.vip:,} in the `vip` list) written with BatchWriteItem "
        f"({fmt(b.seed_seconds, 0)} s, untimed) into the contacts table of a stage of its own on the local "
        "runtime's embedded moto (a child process; pollers and scheduler stopped). Orbit: "
        f"`definitions.create_segment` of the rule above (id `{SHOE_LOVERS}`), then the imports queue drained as "
        "the local poller drains it: up to 5 messages per `background.consume` call, one batch after another, "
        f"until the segment serves its new generation ({b.messages} `SegmentBuildMsg`: {b.parts} parts of "
        f"{b.page}-contact Scan pages, no continuation needed). Baseline: a raw boto3 Scan of the same table, "
        f"{b.parts} segments one after another (as the poller runs the parts), the same `Limit` ({b.page}) and "
        "filter (`kind = contact`), once before Orbit's run and once after it; the scan figure is their mean "
        f"({fmt(b.scan_before.seconds, 1)} s and {fmt(b.scan_after.seconds, 1)} s). The second baseline adds "
        f"a raw BatchWriteItem of {b.members:,} minimal member rows (segment and shard, contact key, `mem`) to the "
        f"later scan ({fmt(b.batch_write.seconds, 2)} s).",
        "",
        f"Orbit scanned {b.scanned:,} contacts and stored {b.members:,} members "
        f"({100 * b.members / max(n, 1):.1f}%) and {b.moment_states:,} non-members with a moment (contacts "
        "missing only the birthday condition, stored so the sweep re-evaluates them when their birthday week "
        f"opens). **Computing took {fmt(b.ratio)}x the scan** (it adds {fmt(100 * (b.ratio - 1), 0)}%; goal < "
        f"{fmt(100 * (BUILD_GOAL - 1), 0)}%: {_verdict(b.ratio < BUILD_GOAL)}): {fmt(extra, 1)} s over the scan for "
        f"{n:,} contacts, {fmt(1000 * extra / max(n, 1), 1)} ms a contact.",
        "",
        f"Where Orbit's {fmt(b.orbit.seconds, 1)} s went (calls are made one at a time, so they add up to the wall "
        "time with Orbit's own code):",
        "",
        _calls_table(b.orbit, n),
        "",
        f"- Orbit's own code: {fmt(1000 * own / max(n, 1), 2)} ms a contact, of which `evaluate()` "
        f"{fmt(1000 * b.orbit.evaluate_seconds / max(n, 1), 2)} ms; the rest turns the scanned items into records "
        "and decides what to write. Part of it is `storage.contacts._from_item` serialising each scanned item "
        f"again to size it (`ContactRecord.stored_size`, which a computation never reads): "
        f"{fmt(b.stored_size_ms, 2)} ms a contact, measured on the same items in memory.",
        f"- The Scan itself: {scan_calls} calls, {fmt(scan_per_contact_ms, 1)} ms a contact on both sides. moto "
        "builds a Scan's answer with its generic response serializer, which walks every nested value of every "
        "item returned (a contact holds about a hundred), so a contact costs it milliseconds; DynamoDB answers a "
        "page of 200 such contacts in one round trip. This is also why the run has "
        f"{n:,} contacts, not 100,000: at this rate one scan of 100,000 contacts takes "
        f"{fmt(100_000 * scan_per_contact_ms / 60_000, 0)} minutes, and the section scans four times.",
        f"- `segments.query`: {query_calls:,} calls ({fmt(query_calls / max(n, 1), 2)} per contact, "
        f"{fmt(query_seconds, 1)} s): build progress and counts. The rule reads a list (`not inList vip`), so "
        "`builds.run_part` reads that list's states for each page of contacts at once (one BatchGetItem a page, "
        "beside the page's own states), never one Query per contact.",
        f"- State writes: {write_calls:,} calls ({fmt(write_seconds, 1)} s) for {states:,} states: a "
        "TransactWriteItems (a member: the state and +1 on its count shard) or a conditional PutItem (a "
        "non-member with a moment), conditioned on the state the page's BatchGetItem read (a GetItem only when "
        "that read was stale and the condition failed).",
        f"- Write units: **{fmt(b.orbit.write_units / max(b.scanned, 1), 2)} per evaluated contact** "
        f"({b.orbit.write_units:,} in all, by DynamoDB's sizing rules: a transaction bills twice, the "
        "`by_contact` and `due` index copies bill again, plus build progress), "
        f"{fmt(b.orbit.write_units / max(states, 1), 1)} per stored state; the minimal member rows cost "
        f"{fmt(b.batch_write.write_units / max(n, 1), 2)} per contact (1 per member). Read units: "
        f"{fmt(b.orbit.read_units / max(b.scanned, 1), 2)} per evaluated contact, against "
        f"{fmt(b.scan_before.read_units / max(n, 1), 2)} for the scan alone. At on-demand list prices "
        f"(`bench/cost_doc.py`) the computation costs ${fmt(1e6 * b.orbit.dollars / max(n, 1), 2)} per million "
        f"contacts, the scan ${fmt(1e6 * b.scan_before.dollars / max(n, 1), 2)}.",
        f"- Requests: Orbit made {orbit_requests:,} table calls ({fmt(orbit_requests / max(n, 1), 2)} per "
        f"contact) where the scan made {base_requests} ({fmt(base_requests / max(n, 1), 3)} per contact). On "
        "moto the Scan's per-item cost hides the difference. On DynamoDB a call costs closer to one round trip "
        "whatever it returns (a 200-contact Scan page more than a GetItem, but not 200 times more), so the time "
        "follows the calls more than here: if every call cost the same, computing would take "
        f"{fmt(same_cost_ratio, 0)}x the scan. That is a bound, not a prediction, but it says where the time "
        "would go: to the per-state conditional writes, made one at a time, not to the scan.",
        "",
        "### 3. Sweep vs. a full computation",
        "",
        f"On the same contacts and table (the section 2 segment deleted first, since its own moments would fall due "
        f"too): a segment `{json.dumps(VIEWED_RULE)}` (answered from the built-in daily counters), computed in full "
        f"at a fixed clock at noon UTC (timed: {fmt(b.viewed_build.seconds, 1)} s, {b.viewed_members:,} members, "
        f"{full_requests:,} calls). {b.leaving:,} contacts ({100 * b.leaving / max(n, 1):.1f}%) last viewed a product "
        "6 days before, so they leave at the next UTC midnight; the other members viewed one in the last 5 days. "
        f"The clock then moves one day and `sweep()` runs: it found {sweep.get('due', 0):,} states due, evaluated "
        f"{sweep.get('evaluated', 0):,} contacts, {sweep.get('exited', 0):,} left and {sweep.get('entered', 0):,} "
        f"entered, publishing a `Segment Exited` event each, in {fmt(b.sweep.seconds, 2)} s and "
        f"{sweep_requests:,} calls. **Sweep / full computation, time: {fmt(b.sweep_ratio, 3)}** (goal < "
        f"{SWEEP_GOAL}: {_verdict(b.sweep_ratio < SWEEP_GOAL)}); by table calls "
        f"{fmt(sweep_requests / max(full_requests, 1), 3)}; by the read and write units and queue sends they bill "
        f"at list prices, {fmt(b.sweep.dollars / full.dollars if full.dollars else 0.0, 3)} (sweep "
        f"{fmt(b.sweep.read_units, 1)} read and {b.sweep.write_units:,} write units, full computation "
        f"{fmt(full.read_units, 1)} and {full.write_units:,}).",
        "",
        _calls_table(b.sweep, max(sweep.get("evaluated", 0), 1), "per contact due"),
        "",
        f"The full computation's time is {fmt(100 * scan_share_full, 0)}% moto's Scan, which costs far more per "
        "contact here than on DynamoDB, so the time ratio flatters the sweep; the call and unit ratios do not "
        "depend on moto. Both grow with the share of contacts that are members (here "
        f"{100 * b.viewed_members / max(n, 1):.0f}%): a full computation writes every member, the sweep only "
        "what is due. Per contact due, the sweep makes about three calls (its membership Query on the "
        "`by_contact` index, the state's conditional write, the event's SendMessageBatch) plus its share of the "
        "`due` Queries (8 shards), the contacts' BatchGetItem and one BatchGetItem a page checking the states moved.",
        "",
        "### 4. Event -> `Segment Entered`",
        "",
        f"`make run`'s runtime in a subprocess (as the sustained-load section starts it; ready in "
        f"{fmt(lat.startup_seconds, 1)} s), one segment: contacts with a `Bench Ping` event today (computed in "
        f"{fmt(lat.build_seconds, 1)} s over an empty table). Each of {len(lat.entered_seconds)} samples (after one "
        "warm-up; one at a time) is a new contact's first `Bench Ping`, sent with `POST /v1/events`; its "
        f"`/activity` is then polled every {fmt(1000 * lat.poll_interval_s, 0)} ms until both the ping and "
        "`Segment Entered` show. Timeouts: "
        f"{lat.timeouts}; runtime warnings or errors logged: {lat.runtime_problems}{_trouble(lat)}.",
        "",
        table(
            ["from POST /v1/events until in the activity", "median s", "p90 s"],
            [
                ["the event itself (baseline)", fmt(ev_p50, 3), fmt(ev_p90, 3)],
                ["`Segment Entered`", fmt(en_p50, 3), fmt(en_p90, 3)],
            ],
        ),
        "",
        f"Entering adds {fmt(1000 * (en_p50 - ev_p50), 0)} ms at the median: the consumer evaluates the contact "
        "against the segments its change can affect before it acknowledges the batch, and publishes "
        "`Segment Entered` to the events queue; that event then makes a second trip through the queue and the "
        "consumer to reach the activity, so its latency is about two of the event's.",
    ]
    return "\n".join(lines)


def print_segments(result: SegmentsResult) -> None:
    ev, b, lat = result.evaluation, result.build, result.latency
    print()
    print(
        table(
            ["segments", "Orbit", "baseline", "ratio"],
            [
                ["evaluation contacts/s/core", fmt(ev.orbit_rate, 0), fmt(ev.base_rate, 0), fmt(ev.ratio, 3)],
                [f"full computation s ({b.contacts:,})", fmt(b.orbit.seconds, 1), fmt(b.scan_seconds, 1), fmt(b.ratio)],
                ["sweep s", fmt(b.sweep.seconds, 2), fmt(b.viewed_build.seconds, 1), fmt(b.sweep_ratio, 3)],
                [
                    "Segment Entered p50 s",
                    fmt(p50(lat.entered_seconds), 3),
                    fmt(p50(lat.event_seconds), 3),
                    fmt(p50(lat.entered_seconds) / p50(lat.event_seconds) if lat.event_seconds else 0.0),
                ],
            ],
        )
    )
    print(
        f"evaluation disagreements: {ev.disagreements}; WCU per evaluated contact: "
        f"{b.orbit.write_units / max(b.scanned, 1):.2f}; sweep {b.sweep_counts}"
    )
    for name, seconds in sorted(b.orbit.call_seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<32} {b.orbit.calls[name]:>7,} calls {seconds:>7.1f} s")
