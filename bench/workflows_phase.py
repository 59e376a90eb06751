"""The ``workflows`` section of ``make bench``: what a user of ``make run`` meets when a journey without waits runs
(issue 12, "Benchmark"): a ``Signed Up`` trigger, one email (``sendMessage``), the end.

Everything runs on ``make run``'s runtime in a subprocess (``bench.sustained.Runtime``: embedded AWS in its child
process, with Step Functions on moto's interpreter calling the app's ``workflow_task`` back over
``POST /_local/lambda/<fn>``; HTTP server; pollers), set up through the HTTP API (``POST /v1/templates``,
``POST /v1/workflows``, ``/publish``, ``PUT /v1/contacts``):

1. **Event -> message**: one at a time, a new contact's ``Signed Up`` is POSTed to ``/v1/events``; the contact's
   activity is polled until the event shows (the baseline: the event's own trip through the queue and the consumer)
   and its outbox until the message shows. The server's own stamps split the time: the event accepted
   (``receivedAt``), the journey started (``startedAt``), the message created and sent (outbox ``createdAt``,
   ``sentAt``). Then a burst: ``burst`` contacts' events in one request, each message's ``sentAt`` against its
   event's ``receivedAt``.
2. **Executions started per second**: ``starts`` journeys started by ``POST /v1/workflows/{id}/start`` (distinct
   contacts and request ids) from ``clients`` concurrent keep-alive connections, then waited for until every
   message is sent. Baselines in the same run, from as many clients: the ``PUT /v1/contacts`` calls that create
   those contacts (Orbit's HTTP path with one DynamoDB write), and raw boto3 ``StartExecution`` of a one-``Pass``
   state machine on the same embedded Step Functions (what starting an execution costs there by itself).

Where the time goes: AWS calls per journey, counted in process by ``bench.workflows_calls``. The HTTP calls and the
runtime's request log are ``bench.workflows_client``'s; the wording of the docs section is ``bench.workflows_report``'s.

Sizes: ``WorkflowsConfig`` (``BENCH_QUICK=1`` for a small run; ``BENCH_WORKFLOWS_<NAME>`` overrides one size).
Run alone: ``python -m bench.ingest workflows``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import median
from bench.config import quick
from bench.sustained import Http
from bench.workflows_client import (
    REQUEST_PREFIX,
    TimedRuntime,
    concurrently,
    ok,
    put_contact,
    sent_to,
    sfn_client,
    unsent,
)

IDLE_STARTS = 10  # starts made one at a time before the concurrent ones
GOAL_S = 1.0  # the goal for the median event -> message
TRIGGER = "Signed Up"
TEMPLATE = {
    "id": "bench-welcome",
    "name": "Bench welcome",
    "channel": "email",
    "content": {"from": "Shop <shop@example.com>", "subject": "Welcome, {{ contact.firstName }}", "html": "<p>Hi</p>"},
}
WORKFLOW = {
    "name": "Bench welcome",
    "trigger": {"event": TRIGGER},
    "start": "welcome",
    "blocks": {
        "welcome": {"type": "sendMessage", "channel": "email", "template": "bench-welcome", "next": "end"},
        "end": {"type": "end"},
    },
}
PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@dataclass(frozen=True)
class WorkflowsConfig:
    starts: int = 200  # journeys started by API (and as many contacts PUT, raw StartExecution calls)
    clients: int = 4  # concurrent keep-alive connections (threads for the raw baseline)
    samples: int = 30  # events sent one at a time (after one warm-up)
    burst: int = 30  # events in one request
    timeout_s: float = 30.0  # per sample, and for the burst
    drain_budget_s: float = 60.0  # for the started journeys' messages


QUICK_WORKFLOWS = WorkflowsConfig(starts=40, clients=4, samples=8, burst=10)


def workflows_config(env: Mapping[str, str] = os.environ) -> WorkflowsConfig:
    base = QUICK_WORKFLOWS if quick(env) else WorkflowsConfig()
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(WorkflowsConfig):
        raw = env.get(f"BENCH_WORKFLOWS_{f.name.upper()}")
        if raw:
            changes[f.name] = float(raw) if f.name.endswith("_s") else int(raw)
    config = dataclasses.replace(base, **changes)
    if min(config.starts, config.clients, config.samples, config.burst) < 1:
        raise ValueError("every workflows benchmark size must be at least 1")
    if config.burst > 500:
        raise ValueError("BENCH_WORKFLOWS_BURST: POST /v1/events takes at most 500 events")
    return config


@dataclass
class Stamps:
    """One message's trip on the server's clock (seconds since its event was accepted)."""

    started: float  # the journey started (before StartExecution)
    created: float  # the message was created (the task ran)
    sent: float  # the sandbox sent it (it is in the outbox)


@dataclass
class WorkflowsResult:
    config: WorkflowsConfig
    startup_seconds: float = 0.0
    publish_seconds: float = 0.0
    event_seen: list[float] = field(default_factory=list)  # client: POST -> the event in the activity
    message_seen: list[float] = field(default_factory=list)  # client: POST -> the message in the outbox
    stamps: list[Stamps] = field(default_factory=list)  # the samples' server stamps
    burst_sent: list[float] = field(default_factory=list)  # each burst message: receivedAt -> sentAt
    burst_missing: int = 0
    timeouts: int = 0
    started: int = 0  # journeys the API said it started
    start_failures: list[str] = field(default_factory=list)
    start_seconds: float = 0.0
    put_seconds: float = 0.0
    raw_seconds: float = 0.0
    drain_seconds: float | None = None  # from the last start until every started journey's message was sent
    finished: int = 0  # of the started journeys, messages in the outbox when the drain ended
    unsent: list[str] = field(default_factory=list)  # what became of the others (``_unsent``)
    idle_start_server: float = 0.0  # median server time of a start made alone (the runtime's request log)
    start_server: float = 0.0  # median server time of a start request (the runtime's request log)
    put_server: float = 0.0  # ... of a PUT /v1/contacts
    task_server: float = 0.0  # ... of a workflow_task invoke (the journeys' sendMessage runs)
    calls: dict[str, dict[str, float]] = field(default_factory=dict)  # bench.workflows_calls: AWS calls per journey
    runtime_problems: int = 0
    problem_examples: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def rate(self, seconds: float) -> float:
        return self.config.starts / seconds if seconds else 0.0


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _sample(conn: Any, workflow_id: str, external_id: str, timeout: float, poll: float) -> tuple[Any, Any, Any]:
    """POST one ``Signed Up``; (seconds until the event is in the activity, until the message is in the outbox, the
    server's stamps); None where it did not happen within ``timeout``."""
    event_id = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat()
    event = {"type": TRIGGER, "externalId": external_id, "eventId": event_id, "timestamp": now}
    seen_event = seen_message = None
    received = message = None
    began = time.perf_counter()
    ok(conn.call("POST", "/v1/events", json.dumps({"events": [event]}).encode()), "POST /v1/events")
    while seen_message is None or seen_event is None:
        if time.perf_counter() - began > timeout:
            return seen_event, seen_message, None
        if seen_event is None:
            status, page = conn.call("GET", f"/v1/contacts/{external_id}/activity?limit=10")
            for item in (page or {}).get("events", []) if status == 200 else []:
                if item.get("eventId") == event_id:
                    seen_event, received = time.perf_counter() - began, _stamp(item["receivedAt"])
        if seen_message is None:
            status, page = conn.call("GET", f"/v1/outbox?externalId={external_id}&limit=5")
            items = ok((status, page), "GET /v1/outbox")["items"]
            if items:
                seen_message, message = time.perf_counter() - began, items[0]
        time.sleep(poll)
    assert received is not None and message is not None
    journey = _journey_started(conn, workflow_id, external_id)
    stamps = Stamps(
        started=(journey - received).total_seconds() if journey else float("nan"),
        created=(_stamp(message["createdAt"]) - received).total_seconds(),
        sent=(_stamp(message["sentAt"]) - received).total_seconds(),
    )
    return seen_event, seen_message, stamps


def _journey_started(conn: Any, workflow_id: str, external_id: str) -> datetime | None:
    status, page = conn.call("GET", f"/v1/workflows/{workflow_id}/executions?limit=5")  # newest first
    for item in ok((status, page), "GET executions")["items"]:
        if item.get("externalId") == external_id:
            return _stamp(item["startedAt"])
    return None


def _burst(conn: Any, run: str, config: WorkflowsConfig, result: WorkflowsResult, poll: float) -> None:
    """``burst`` new contacts' events in one request; each message's ``sentAt`` against its event's ``receivedAt``."""
    ids = [f"wb-{run}-{i:03d}" for i in range(config.burst)]
    for external_id in ids:
        put_contact(conn, external_id)
    now = datetime.now(UTC).isoformat()
    events = [{"type": TRIGGER, "externalId": e, "eventId": uuid.uuid4().hex, "timestamp": now} for e in ids]
    ok(conn.call("POST", "/v1/events", json.dumps({"events": events}).encode()), "POST /v1/events (burst)")
    sent: dict[str, datetime] = {}
    began = time.perf_counter()
    while len(sent) < len(ids) and time.perf_counter() - began <= config.timeout_s:
        time.sleep(poll)
        for external_id in ids:
            if external_id not in sent:
                items = ok(conn.call("GET", f"/v1/outbox?externalId={external_id}&limit=5"), "GET /v1/outbox")
                if items["items"]:
                    sent[external_id] = _stamp(items["items"][0]["sentAt"])
    for external_id, at in sent.items():
        page = ok(conn.call("GET", f"/v1/contacts/{external_id}/activity?limit=10"), "GET activity")
        received = [_stamp(e["receivedAt"]) for e in page["events"] if e["type"] == TRIGGER]
        if received:
            result.burst_sent.append((at - received[0]).total_seconds())
    result.burst_missing = len(ids) - len(sent)


def _raw_starts(endpoint: str, config: WorkflowsConfig, run: str) -> float:
    """Raw ``StartExecution`` of a one-``Pass`` machine on the runtime's embedded Step Functions."""

    def client() -> Any:
        return sfn_client(endpoint)

    arn = client().create_state_machine(
        name=f"bench-pass-{run}",
        definition=json.dumps(PASS_MACHINE),
        roleArn="arn:aws:iam::123456789012:role/bench-pass",
    )["stateMachineArn"]
    payload = json.dumps({"contactKey": "x#bench", "trigger": {"type": "api"}})
    names = [f"bench-pass-{run}-{i:05d}" for i in range(config.starts)]

    def start(sfn: Any, name: str) -> None:
        sfn.start_execution(stateMachineArn=arn, name=name, input=payload)

    return concurrently(config.clients, names, start, client)


def _start_one(conn: Any, workflow_id: str, external_id: str) -> tuple[int, Any]:
    body = json.dumps({"externalId": external_id, "requestId": f"{REQUEST_PREFIX}{external_id}"}).encode()
    status, answer = conn.call("POST", f"/v1/workflows/{workflow_id}/start", body)
    return status, answer


def _idle_starts(
    runtime: TimedRuntime, conn: Any, workflow_id: str, run: str, config: WorkflowsConfig, result: WorkflowsResult
) -> None:
    """A few starts one at a time, each after the previous journey's message was sent: a start's own cost."""
    ids = [f"wi-{run}-{i:03d}" for i in range(min(IDLE_STARTS, config.starts))]
    for external_id in ids:
        put_contact(conn, external_id)
    mark = len(runtime.durations["start"])
    for external_id in ids:
        ok(_start_one(conn, workflow_id, external_id), "POST start")
        began = time.perf_counter()
        path = f"/v1/outbox?externalId={external_id}&limit=5"
        while not ok(conn.call("GET", path), "GET /v1/outbox")["items"]:
            if time.perf_counter() - began > config.timeout_s:
                break
            time.sleep(0.02)
    result.idle_start_server = median(runtime.durations["start"][mark:])


def _throughput(
    runtime: TimedRuntime, conn: Any, workflow_id: str, run: str, config: WorkflowsConfig, result: WorkflowsResult
) -> None:
    """``starts`` contacts PUT, then their journeys started, from ``clients`` connections; then waited for."""
    ids = [f"ws-{run}-{i:05d}" for i in range(config.starts)]
    lock = threading.Lock()

    def connect() -> Any:
        return Http(runtime.port, timeout=60.0)

    def start(client: Any, external_id: str) -> None:
        status, answer = _start_one(client, workflow_id, external_id)
        with lock:
            if status == 202 and answer.get("started"):
                result.started += 1
            elif len(result.start_failures) < 3:
                result.start_failures.append(f"{status} {str(answer)[:200]}")

    marks = {kind: len(found) for kind, found in runtime.durations.items()}
    result.put_seconds = concurrently(config.clients, ids, put_contact, connect)
    result.start_seconds = concurrently(config.clients, ids, start, connect)
    began = time.perf_counter()
    while time.perf_counter() - began <= config.drain_budget_s:
        sent = sent_to(conn, f"ws-{run}-")
        result.finished = len(sent)
        if result.finished >= result.started:
            result.drain_seconds = time.perf_counter() - began
            break
        time.sleep(0.2)
    else:
        assert runtime.aws_endpoint is not None
        result.unsent = unsent(conn, runtime.aws_endpoint, workflow_id, set(ids) - sent)
    time.sleep(0.2)  # the runtime prints a request's line as it answers: let the last ones arrive
    result.put_server, result.start_server, result.task_server = (
        median(runtime.durations[kind][marks[kind] :]) for kind in ("contact", "start", "task")
    )


def bench_workflows(config: WorkflowsConfig, poll: float = 0.02) -> WorkflowsResult:
    started = time.perf_counter()
    result = WorkflowsResult(config=config)
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="orbit-bench-workflows-") as tmp:
        runtime = TimedRuntime(Path(tmp) / "workflows", pollers=True)
        result.startup_seconds = runtime.startup_seconds
        assert runtime.aws_endpoint is not None
        conn = Http(runtime.port, timeout=60.0)
        try:
            ok(conn.call("POST", "/v1/templates", json.dumps(TEMPLATE).encode()), "POST /v1/templates")
            workflow_id = ok(conn.call("POST", "/v1/workflows", json.dumps(WORKFLOW).encode()), "POST /v1/workflows")[
                "id"
            ]
            t0 = time.perf_counter()
            ok(conn.call("POST", f"/v1/workflows/{workflow_id}/publish", b"{}"), "POST publish")
            result.publish_seconds = time.perf_counter() - t0

            # 1. event -> message, one at a time (the first a warm-up), then a burst
            for n in range(config.samples + 1):
                external_id = f"wl-{run}-{n:03d}"
                put_contact(conn, external_id)
                seen_event, seen_message, stamps = _sample(conn, workflow_id, external_id, config.timeout_s, poll)
                if stamps is None:
                    result.timeouts += 1
                    if result.timeouts == 3:
                        break
                    continue
                if n > 0:
                    result.event_seen.append(seen_event)
                    result.message_seen.append(seen_message)
                    result.stamps.append(stamps)
            _burst(conn, run, config, result, poll)

            # 2. executions started per second: alone, then from concurrent clients beside the baselines
            _idle_starts(runtime, conn, workflow_id, run, config, result)
            _throughput(runtime, conn, workflow_id, run, config, result)
            result.raw_seconds = _raw_starts(runtime.aws_endpoint, config, run)
        finally:
            conn.close()
            runtime.stop()
            result.runtime_problems = runtime.problems
            result.problem_examples = runtime.problem_examples
    result.elapsed = time.perf_counter() - started
    return result
