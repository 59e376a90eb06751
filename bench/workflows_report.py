"""The ``workflows`` section's wording in ``docs/benchmarks.md`` and its summary line (the measuring is in
``bench.workflows_phase``)."""

from __future__ import annotations

from bench.common import machine_note, median, today
from bench.workflows_phase import GOAL_S, IDLE_STARTS, WorkflowsResult


def _p(values: list[float], q: float) -> float:
    """The ``q`` quantile, nearest rank (0 without values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def workflows_section(result: WorkflowsResult) -> str:
    c = result.config
    med, p90 = median(result.message_seen), _p(result.message_seen, 0.9)
    event_med = median(result.event_seen)
    over = sum(1 for s in result.burst_sent if s >= GOAL_S)
    met = "met" if result.message_seen and med < GOAL_S else "not met"
    stage = [median([getattr(s, name) for s in result.stamps]) for name in ("started", "created", "sent")]
    orbit, put = result.rate(result.start_seconds), result.rate(result.put_seconds)
    raw = result.rate(result.raw_seconds)
    drained = (
        f"every message was in the outbox {result.drain_seconds:.1f} s after the last start"
        if result.drain_seconds is not None
        else f"**{result.finished:,} of {result.started:,} messages were in the outbox when the "
        f"{c.drain_budget_s:.0f} s budget ran out** (the others' journey / execution status: "
        f"{'; '.join(result.unsent) or 'unknown'})"
    )
    failures = f" Failed starts: {'; '.join(result.start_failures)}." if result.start_failures else ""
    problems = (
        f" Runtime warnings or errors logged: {result.runtime_problems} ({'; '.join(result.problem_examples)})."
        if result.runtime_problems
        else " Runtime warnings or errors logged: 0."
    )
    return "\n".join(
        [
            "## Workflows: event -> message, executions started per second",
            "",
            f"Run {today()} on {machine_note()}; total {result.elapsed:.0f} s. `make run`'s runtime in a subprocess "
            f"(ready in {result.startup_seconds:.1f} s; embedded AWS in its child process, Step Functions on moto's "
            "interpreter calling the app's `workflow_task` back over `POST /_local/lambda/<fn>`, pollers on), set up "
            "through the HTTP API: a template, and a journey without waits (trigger `Signed Up` -> `sendMessage` "
            f"email -> end) published in {result.publish_seconds:.2f} s. Regenerate with "
            "`python -m bench.ingest workflows` (`make bench` runs it too; `BENCH_QUICK=1` for a small run, "
            "`BENCH_WORKFLOWS_<NAME>` overrides one size of `bench.workflows_phase.WorkflowsConfig`).",
            "",
            "| measure | Orbit | baseline (same run) | Orbit / baseline | goal |",
            "|---|---:|---:|---:|---|",
            f"| event -> message in the outbox, median / p90 (s) | {med:.2f} / {p90:.2f} | {event_med:.2f} / "
            f"{_p(result.event_seen, 0.9):.2f} (the event in the activity) | "
            f"{med / event_med if event_med else 0:.2f} | < {GOAL_S:.0f} s: {met} |",
            f"| a burst of {c.burst} events in one request: event accepted -> message sent, median / p90 (s) | "
            f"{median(result.burst_sent):.2f} / {_p(result.burst_sent, 0.9):.2f} | - | - | - |",
            f"| journeys started by API per second ({c.clients} clients) | {orbit:,.1f} | {put:,.1f} "
            f"(`PUT /v1/contacts`) | {orbit / put if put else 0:.2f} | - |",
            f"| | | {raw:,.0f} (raw `StartExecution`, a `Pass` machine) | {orbit / raw if raw else 0:.3f} | - |",
            "",
            f"**A journey's message is in the outbox {med:.2f} s after its event at the median** (p90 {p90:.2f} s; "
            f"goal < {GOAL_S:.0f} s: {met}) when events arrive one at a time. In a burst of {c.burst} events at "
            f"once the median is {median(result.burst_sent):.2f} s ({over} of {len(result.burst_sent)} over "
            f"{GOAL_S:.0f} s): the journeys wait their turn at the embedded AWS (see the calls per journey below).",
            "",
            "### Event -> message",
            "",
            f"{c.samples} samples, one at a time after one warm-up: a new contact (`PUT /v1/contacts`), then its "
            "`Signed Up` by `POST /v1/events`; the contact's activity is polled until the event shows and its outbox "
            "(`GET /v1/outbox?externalId=`) until the message shows, every 20 ms, so the client-side figures carry "
            f"up to a poll round of delay. Timeouts: {result.timeouts}.{problems}",
            "",
            "Where the time goes, on the server's own clock (median ms after the event was accepted, `receivedAt`):",
            "",
            "| step | ms after the event was accepted | what runs in between |",
            "|---|---:|---|",
            f"| journey started | {_ms(stage[0])} | the events queue's long poll hands the message to the consumer "
            "(the local poller has no batching window), which stores the event, folds it into the contact, and its "
            "listener matches the trigger and records the journey |",
            f"| message created | {_ms(stage[1])} | `StartExecution` on the embedded Step Functions, moto's "
            "interpreter thread reaching the Task state, the Lambda invoke routed back to the app's "
            "`workflow_task`, which loads the contact and renders the template |",
            f"| message sent (in the outbox) | {_ms(stage[2])} | consent, policies, the ledger claim and the sandbox "
            "sender's outbox copy |",
            "",
            f"The burst: {c.burst} new contacts' `Signed Up` in one `POST /v1/events`, each message's `sentAt` "
            f"against its event's `receivedAt` (missing after {c.timeout_s:.0f} s: {result.burst_missing}).",
            "",
            "### Executions started per second",
            "",
            f"{c.starts} journeys started by `POST /v1/workflows/{{id}}/start` (distinct contacts and `requestId`s) "
            f"from {c.clients} concurrent keep-alive connections: {result.started:,} started in "
            f"{result.start_seconds:.2f} s; {drained}.{failures} Baselines from as many clients: the "
            f"`PUT /v1/contacts` calls creating those contacts ({result.put_seconds:.2f} s), and raw boto3 "
            f"`StartExecution` of a one-`Pass` state machine on the same embedded Step Functions "
            f"({result.raw_seconds:.2f} s).",
            "",
            f"Server time per request (median, the runtime's request log): a start made alone (the first "
            f"{min(IDLE_STARTS, c.starts)} journeys, each after the previous one's message was sent) "
            f"{_ms(result.idle_start_server)} ms; from the concurrent clients a start {_ms(result.start_server)} ms, "
            f"a `PUT /v1/contacts` {_ms(result.put_server)} ms, and each journey's `workflow_task` invoke "
            f"{_ms(result.task_server)} ms (the journeys run while the starts go on).",
            *_calls(result),
        ]
    )


def _calls(result: WorkflowsResult) -> list[str]:
    """Where the time goes: AWS calls per journey (``count_calls``) against the embedded AWS's rate."""
    calls = result.calls
    if not calls:
        return []
    per = {side: sum(found.values()) for side, found in calls.items()}
    journey = per["start"] + per["task"]
    rows = [
        f"| {label} | {per[side]:.0f} | {', '.join(f'{op} {n:g}' for op, n in sorted(calls[side].items()))} |"
        for side, label in (
            ("contact", "creating the contact (`PUT /v1/contacts`)"),
            ("start", "the start request"),
            ("task", "the journey's `workflow_task` (render, policies, ledger, sandbox, journey end)"),
        )
    ]
    orbit, put, raw = (result.rate(s) for s in (result.start_seconds, result.put_seconds, result.raw_seconds))
    burst = result.config.burst
    return [
        "",
        "AWS calls per journey, counted on the in-process local runtime (`bench.workflows_calls.count_calls`, "
        "a botocore hook; calls on the task's thread are the task's):",
        "",
        "| what | AWS calls | by operation |",
        "|---|---:|---|",
        *rows,
        "",
        f"So every journey started by API costs the embedded AWS {journey:.0f} calls where the raw baseline "
        f"makes one. Had each call cost what a raw `StartExecution` did ({raw:,.0f} calls/s), the runtime would "
        f"start {raw / journey:,.1f} journeys/s; it started {orbit:,.1f} ({orbit * journey / raw if raw else 0:.0%} "
        f"of that). The `PUT /v1/contacts` baseline, {per['contact']:.0f} calls each, ran at {put:,.1f}/s, "
        f"{put * per['contact'] / raw if raw else 0:.0%} of its own such bound. "
        + (
            "So the call count is where most of the time goes: the embedded AWS (moto, one Python process) "
            "answers about as many calls per second whoever makes them, and DynamoDB and Step Functions on AWS "
            "serve them in parallel. The rest is the runtime's own work in one Python process (HTTP, validation, "
            "rendering, with the journeys' tasks running beside the starts)."
            if raw and orbit * journey / raw >= 0.5
            else "In this run the call count explains less than half of the gap: the rest is the runtime's own "
            "work in one Python process (HTTP, validation, rendering, the journeys' tasks running beside the "
            "starts) or other load on the machine."
        ),
        "",
        f"The burst pays a like bill at once: if a journey the events consumer starts costs about as many calls, "
        f"{burst} journeys x {journey:.0f} calls at {raw:,.0f} calls/s is {burst * journey / raw if raw else 0:.1f} s "
        f"of the embedded AWS's time; the last message was sent {max(result.burst_sent, default=0):.1f} s after "
        "its event.",
    ]


def print_workflows(result: WorkflowsResult) -> None:
    print(
        f"workflows: event -> message median {median(result.message_seen):.2f} s, p90 "
        f"{_p(result.message_seen, 0.9):.2f} s (event in the activity {median(result.event_seen):.2f} s); "
        f"starts {result.rate(result.start_seconds):.1f}/s vs PUT /v1/contacts {result.rate(result.put_seconds):.1f}/s"
        f" vs raw StartExecution {result.rate(result.raw_seconds):.0f}/s"
    )
