"""Sustained load (owns bench/sustained.py): what a user of ``make run`` sees under a steady stream of events.

Each scenario starts the real local runtime as a subprocess (``python -m chalicelib.local.runtime``, free
port, a temporary data folder, its embedded AWS, pollers and scheduler running), then:

1. **drained queue**: ``clients`` concurrent clients, each on its own keep-alive HTTP connection, send
   ``events`` realistic events (Product Viewed, Cart Updated, Login from a few hundred contacts) in
   ``POST /v1/events`` requests of ``per_request``; recorded: request latency p50/p99, the accept rate
   (events/s accepted), and the drain time: from the last answer until the events queue is empty and every
   event queued is stored and folded (the contacts' daily counters, read from their cards, add up to it).
   Nothing is purged.
2. **standing backlog**: the events queue first gets ``backlog`` real event messages sent straight to SQS,
   as fast as the embedded AWS takes them, with the pollers off (``ORBIT_POLLERS=0``); then the runtime
   restarts with its pollers on, its data folder carrying the queue over, and the same load and figures
   follow. The backlog's events count towards what must be folded. A runtime without the pollers switch is
   filled with its consumer running, topping up what the consumer eats until the depth is reached.

``probes`` raw ``SendMessageBatch`` calls (10 event messages each) time the embedded SQS at depth ~0 and at
the backlog's depth: their ratio is the cost of a backlog (goal <= 1.25). Every phase has a time budget
(``bench.config.SustainedConfig``), so a slow backend ends the run with partial figures (and an estimate of
the rest) instead of hanging it. Sizes: ``bench.config.sustained_config`` (``BENCH_QUICK=1`` for a small run).

Usage: python -m bench.sustained   (prints the figures as JSON; ``make bench`` writes the docs section)
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import queue
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from bench.common import ROOT, chunks, compact, event_in, median, queued_event
from bench.config import SustainedConfig, sustained_config

API_KEY = "osk_bench_sustained_secret_key"
SITE_KEY = "opk_bench_sustained_site_key"
PROBE_GOAL = 1.25  # SendMessageBatch at the backlog's depth / at depth ~0
P99_GOAL_S = 2.0  # a full request's p99
GRACE_S = 20.0  # how long past the send budget a request may still take before it counts as failed
PROBLEM = re.compile(r'"level":\s*"(WARNING|ERROR|CRITICAL)"| (WARNING|ERROR|CRITICAL) ')  # JSON and plain logs
EVENT_MIX = [("Product Viewed", 60), ("Cart Updated", 25), ("Login", 15)]
LOGIN_METHODS = ["password", "google", "apple", "magic link"]
DEVICES = ["desktop", "mobile", "tablet"]


# the runtime -------------------------------------------------------------------------------------


class Runtime:
    """``python -m chalicelib.local.runtime`` in a subprocess, as ``make run`` starts it, keeping its data in
    ``data_dir`` (never the user's ``.orbit/``); ``pollers=False`` asks it not to poll its queues
    (``ORBIT_POLLERS=0``; ``polling`` tells whether it obeyed). Its output is read by a thread (the last lines
    are kept for error messages) so it never blocks on a full pipe."""

    def __init__(self, data_dir: Path, pollers: bool = True, startup_timeout: float = 120.0) -> None:
        from chalicelib.local.runtime import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORBIT_", "MOTO_"))}
        env.update({"PORT": str(self.port), "ORBIT_API_KEY": API_KEY, "ORBIT_SITE_KEY": SITE_KEY})
        env.update({"ORBIT_DATA_DIR": str(data_dir), "ORBIT_POLLERS": "1" if pollers else "0"})
        env["PYTHONUNBUFFERED"] = "1"
        self.tail: deque[str] = deque(maxlen=60)
        self.aws_endpoint: str | None = None
        self.polling = True  # until the banner says otherwise
        self.problems = 0  # warning and error lines the runtime logged (failed batches, retries, crashes)
        self.problem_examples: list[str] = []
        self._ready = threading.Event()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.local.runtime"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, name="runtime-output", daemon=True).start()
        if not self._ready.wait(startup_timeout) or self.process.poll() is not None:
            self.stop()
            raise SystemExit("the local runtime did not become ready:\n" + "".join(self.tail))
        self.ready_at = time.perf_counter()
        self.startup_seconds = self.ready_at - started
        if not self.aws_endpoint:
            self.stop()
            raise SystemExit("the runtime's banner names no embedded AWS endpoint:\n" + "".join(self.tail))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.tail.append(line)
            found = re.search(r"embedded AWS at (http://[^\s)]+)", line)
            if found:
                self.aws_endpoint = found.group(1)
            if "not polled" in line:
                self.polling = False
            if PROBLEM.search(line):
                self.problems += 1
                if len(self.problem_examples) < 3:
                    self.problem_examples.append(line.strip()[:300])
            if "ready" in line:
                self._ready.set()

    def stop(self) -> float:
        """SIGINT, as Ctrl-C: the runtime finishes the batch in hand and saves its data. Returns the seconds."""
        started = time.perf_counter()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return time.perf_counter() - started


def sqs_client(endpoint: str) -> Any:
    """A client of the runtime's embedded SQS (moto accepts any credentials)."""
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def events_queue_url(sqs: Any) -> str:
    urls = sqs.list_queues(QueueNamePrefix="orbit-").get("QueueUrls", [])
    found = [u for u in urls if u.endswith("-events")]
    if len(found) != 1:
        raise SystemExit(f"expected one orbit-<stage>-events queue at the embedded AWS, found {urls}")
    return str(found[0])


def depth(sqs: Any, url: str) -> int:
    """Messages waiting plus messages being processed (received, not yet deleted)."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


# workload ----------------------------------------------------------------------------------------


def contact_ids(run: str, scenario: str, count: int) -> list[str]:
    return [f"sus-{run}-{scenario}-{i:04d}" for i in range(count)]


def _login(rng: random.Random, external_id: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "Login",
        "externalId": external_id,
        "eventId": uuid.uuid4().hex,
        "timestamp": at.isoformat(),
        "properties": {
            "method": rng.choice(LOGIN_METHODS),
            "device": rng.choice(DEVICES),
            "app_version": f"4.{rng.randrange(0, 12)}.{rng.randrange(0, 30)}",
            "success": True,
        },
    }


def events(rng: random.Random, ids: list[str], count: int, now: datetime) -> list[dict[str, Any]]:
    """``count`` events as servers POST them: each from a random contact, over the last hour."""
    types, weights = zip(*EVENT_MIX, strict=True)
    carts = {external_id: uuid.uuid4().hex[:12] for external_id in ids}
    out = []
    for i in range(count):
        external_id = rng.choice(ids)
        at = now - timedelta(seconds=3600 * (count - i) / count)
        event_type = rng.choices(types, weights)[0]
        if event_type == "Login":
            out.append(_login(rng, external_id, at))
        else:
            out.append(event_in(rng, external_id, event_type, carts[external_id], at))
    return out


def message_body(event: dict[str, Any], received_at: datetime) -> str:
    """The queue body Orbit's edge would make of ``event`` (backlog and probe messages are real events)."""
    return queued_event(event, received_at).body()


def send_batch(sqs: Any, url: str, bodies: list[str]) -> float:
    """One SendMessageBatch of up to ten bodies; its wall time."""
    start = time.perf_counter()
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    seconds = time.perf_counter() - start
    if out.get("Failed"):
        raise SystemExit(f"SendMessageBatch refused entries: {out['Failed']}")
    return seconds


# measurements ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p99 of 40 requests is their slowest)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Probe:
    depth: int  # queue depth just before the calls
    seconds: list[float] = field(default_factory=list)  # one per SendMessageBatch of 10

    @property
    def median(self) -> float:
        return median(self.seconds)


@dataclass
class Scenario:
    name: str
    contacts: int
    probe: Probe
    prefilled: int = 0  # messages the pre-fill sent straight to SQS
    prefill_seconds: float = 0.0
    prefill_complete: bool = True  # reached the backlog's depth within its budget
    depth_at_start: int = 0  # when the clients started
    max_depth: int = 0  # deepest the queue got while the clients sent
    requests: int = 0  # answered 202
    failed_requests: int = 0  # any other answer, or no answer
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds per answered request
    planned: int = 0  # events the scenario meant to send over HTTP
    accepted: int = 0
    rejected: int = 0
    send_seconds: float = 0.0  # first request sent -> last answer
    send_complete: bool = True  # every planned request was sent within the budget
    expected: int = 0  # events that must end up folded: accepted + pre-filled + probes
    folded: int = 0  # events counted on the contacts when the drain ended
    drain_seconds: float | None = None  # last answer -> queue empty and every event folded; None: not in budget
    drain_waited: float = 0.0
    elapsed: float = 0.0  # the consumer's start -> the end of the drain wait
    startup_seconds: float = 0.0  # the runtime's, until "ready"
    prefill_how: str = ""  # "pollers off" (then a restart), "consumer running", or "both"
    restart_seconds: float = 0.0  # stopping the pollers-off runtime and starting it again with them on
    restored_depth: int = 0  # the queue's depth right after that restart
    runtime_problems: int = 0  # warning and error lines the runtime logged meanwhile
    problem_examples: list[str] = field(default_factory=list)

    @property
    def accept_rate(self) -> float:
        return self.accepted / self.send_seconds if self.send_seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def fold_rate(self) -> float:
        """Events folded per second since the scenario's consumer started."""
        return self.folded / self.elapsed if self.elapsed else 0.0

    @property
    def end_to_end_rate(self) -> float | None:
        """Events/s from the first request until everything the scenario queued was folded."""
        if self.drain_seconds is None:
            return None
        return self.expected / (self.send_seconds + self.drain_seconds)


@dataclass
class SustainedResult:
    config: SustainedConfig
    scenarios: list[Scenario] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def probe_ratio(self) -> float:
        shallow, deep = self.scenarios[0].probe.median, self.scenarios[-1].probe.median
        return deep / shallow if shallow else 0.0


class Http:
    """One client's keep-alive connection to the runtime (reconnects after a failure)."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}

    def call(self, method: str, path: str, body: bytes | None = None, timeout: float | None = None) -> tuple[int, Any]:
        if timeout is not None:  # this request's own limit
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
        try:
            self.conn.request(method, path, body=body, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def depth_watch(sqs: Any, url: str, every: float = 1.0) -> Iterator[list[int]]:
    """Samples the queue depth every ``every`` seconds while the block runs."""
    samples: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):
                samples.append(depth(sqs, url))
            stop.wait(every)

    thread = threading.Thread(target=watch, name="depth-watch", daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(timeout=every + 30)


def probe(sqs: Any, url: str, rng: random.Random, ids: list[str], calls: int) -> tuple[Probe, int]:
    """``calls`` timed SendMessageBatch of 10 real event messages, after one untimed; returns the probe and the
    events sent."""
    now = datetime.now(UTC)
    send_batch(sqs, url, [message_body(e, now) for e in events(rng, ids, 10, now)])  # warm-up: connection
    result = Probe(depth=depth(sqs, url))
    for _ in range(calls):
        bodies = [message_body(e, now) for e in events(rng, ids, 10, now)]
        result.seconds.append(send_batch(sqs, url, bodies))
    return result, (calls + 1) * 10


def prefill(
    endpoint: str, url: str, rng: random.Random, ids: list[str], target: int, budget: float, senders: int = 4
) -> tuple[int, float, bool]:
    """Fill the events queue to ``target`` messages with ``senders`` threads sending batches of ten as fast as
    the embedded SQS takes them, topping up what the consumer eats meanwhile; stops at ``budget`` seconds.
    Returns (messages sent, seconds, whether the depth reached ``target``)."""
    now = datetime.now(UTC)
    batches: queue.Queue[list[str]] = queue.Queue()
    sent = 0
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + budget
    checker = sqs_client(endpoint)

    def refill(count: int) -> None:
        made = events(rng, ids, count, now)
        for batch in chunks([message_body(e, now) for e in made], 10):
            batches.put(batch)

    def sender() -> None:
        nonlocal sent
        client = sqs_client(endpoint)
        while time.perf_counter() < deadline:
            try:
                batch = batches.get_nowait()
            except queue.Empty:
                return
            send_batch(client, url, batch)
            with lock:
                sent += len(batch)

    reached = depth(checker, url) >= target  # an earlier scenario's leftovers may already stand there
    missing = 0 if reached else target - depth(checker, url)
    while missing > 0 and time.perf_counter() < deadline:
        refill(missing)
        threads = [threading.Thread(target=sender, name=f"prefill-{i}", daemon=True) for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        now_depth = depth(checker, url)
        reached = now_depth >= target * 0.98
        missing = 0 if reached else target - now_depth
    while not batches.empty():  # made but not sent when the budget ran out
        batches.get_nowait()
    return sent, time.perf_counter() - start, reached


def send_load(port: int, bodies: list[bytes], clients: int, budget: float, scenario: Scenario) -> None:
    """``clients`` threads, each on its own connection, take requests from one list until it is empty or the
    budget is spent. A request still unanswered ``GRACE_S`` after the budget counts as failed (its events may
    still be queued by the runtime: the drain then waits for at least the accepted ones)."""
    todo: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        todo.put(body)
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + budget
    last_answer = start

    def client() -> None:
        nonlocal last_answer
        conn = Http(port, timeout=budget + GRACE_S)
        try:
            while time.perf_counter() < deadline:
                try:
                    body = todo.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    status, answer = conn.call("POST", "/v1/events", body, timeout=deadline + GRACE_S - began)
                except (OSError, http.client.HTTPException) as exc:
                    status, answer = 0, repr(exc)
                ended = time.perf_counter()
                with lock:
                    last_answer = max(last_answer, ended)
                    if status == 202 and isinstance(answer, dict):
                        scenario.requests += 1
                        scenario.latencies.append(ended - began)
                        scenario.accepted += int(answer.get("accepted", 0))
                        scenario.rejected += len(answer.get("rejected", []))
                    else:
                        scenario.failed_requests += 1
                        if len(scenario.errors) < 5:
                            scenario.errors.append(f"{status}: {str(answer)[:300]}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    scenario.send_seconds = last_answer - start
    scenario.send_complete = todo.empty()


def folded_counts(port: int, ids: list[str], clients: int) -> int:
    """Events folded into the contacts: the sum of their cards' daily counters per event type (filtered
    counters such as ``type|category=...`` left out). A contact not created yet counts 0."""
    todo: queue.Queue[str] = queue.Queue()
    for external_id in ids:
        todo.put(external_id)
    total = 0
    lock = threading.Lock()
    problems: list[str] = []

    def reader() -> None:
        nonlocal total
        conn = Http(port, timeout=60.0)
        try:
            while True:
                try:
                    external_id = todo.get_nowait()
                except queue.Empty:
                    return
                status, card = conn.call("GET", f"/v1/contacts/{external_id}")
                if status == 404:
                    continue
                if status != 200:
                    problems.append(f"GET /v1/contacts/{external_id}: {status} {card}")
                    return
                daily = card.get("aggregates", {}).get("dailyEventCounts", {})
                count = sum(sum(days.values()) for name, days in daily.items() if "|" not in name)
                with lock:
                    total += count
        finally:
            conn.close()

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise SystemExit(problems[0])
    return total


def drain(port: int, sqs: Any, url: str, ids: list[str], scenario: Scenario, budget: float, clients: int) -> None:
    """Wait (from the last answer) until the queue is empty and the contacts hold every expected event. The
    drain time is when the queue was seen empty, confirmed by the cards read right after."""
    start = time.perf_counter()
    deadline = start + budget
    while True:
        now = time.perf_counter()
        if depth(sqs, url) == 0:
            emptied = time.perf_counter()
            scenario.folded = folded_counts(port, ids, clients)
            if scenario.folded >= scenario.expected:
                scenario.drain_seconds = emptied - start
                break
        if now >= deadline:
            scenario.folded = folded_counts(port, ids, clients)
            break
        time.sleep(0.5)
    scenario.drain_waited = time.perf_counter() - start


def run_scenario(config: SustainedConfig, data_dir: Path, run: str, name: str, backlog: int, seed: int) -> Scenario:
    """One scenario on a runtime of its own. With a ``backlog``, the runtime first starts with its pollers off,
    the queue is filled and probed, and it restarts with them on (its data folder carries the queue over);
    a runtime that cannot switch its pollers off is filled with its consumer running instead."""
    rng = random.Random(seed)
    ids = contact_ids(run, name, config.contacts)
    now = datetime.now(UTC)
    made = events(rng, ids, config.events, now)
    bodies = [compact({"events": chunk}).encode() for chunk in chunks(made, config.per_request)]
    scenario = Scenario(name=name, contacts=config.contacts, probe=Probe(depth=0), planned=len(made))
    extra = 0  # events queued straight to SQS (backlog, probes): they must be folded too
    runtime = Runtime(data_dir, pollers=not backlog)
    scenario.startup_seconds = runtime.startup_seconds
    try:
        assert runtime.aws_endpoint
        sqs = sqs_client(runtime.aws_endpoint)
        url = events_queue_url(sqs)
        if backlog and not runtime.polling:
            print(f"  {name}: pre-filling the events queue to {backlog:,} messages, pollers off ...", flush=True)
            sent, seconds, reached = prefill(runtime.aws_endpoint, url, rng, ids, backlog, config.prefill_budget_s)
            scenario.prefilled, scenario.prefill_seconds, scenario.prefill_complete = sent, seconds, reached
            scenario.prefill_how = "pollers off"
            extra += sent
            scenario.probe, probed = probe(sqs, url, rng, ids, config.probes)  # nothing consumes meanwhile
            extra += probed
            print(f"  {name}: restarting the runtime with its pollers on ...", flush=True)
            stopped = runtime.stop()
            scenario.runtime_problems += runtime.problems
            scenario.problem_examples += runtime.problem_examples
            runtime = Runtime(data_dir, pollers=True)
            scenario.restart_seconds = stopped + runtime.startup_seconds
            assert runtime.aws_endpoint
            sqs = sqs_client(runtime.aws_endpoint)
            url = events_queue_url(sqs)
            scenario.restored_depth = depth(sqs, url)
        began = runtime.ready_at  # the consumer runs from here on
        if backlog and depth(sqs, url) < backlog * 0.98:  # no pollers switch, or the restart lost messages
            print(f"  {name}: pre-filling the events queue to {backlog:,} messages, consumer running ...", flush=True)
            sent, seconds, reached = prefill(runtime.aws_endpoint, url, rng, ids, backlog, config.prefill_budget_s)
            scenario.prefilled += sent
            scenario.prefill_seconds += seconds
            scenario.prefill_complete = reached
            scenario.prefill_how = "consumer running" if not scenario.prefill_how else "both"
            extra += sent
        if not scenario.probe.seconds:
            scenario.probe, probed = probe(sqs, url, rng, ids, config.probes)
            extra += probed
        scenario.depth_at_start = depth(sqs, url)
        print(
            f"  {name}: depth {scenario.depth_at_start:,}; SendMessageBatch {scenario.probe.median * 1000:.0f} ms "
            f"at depth {scenario.probe.depth:,}; sending {len(made):,} events in {len(bodies)} requests from "
            f"{config.clients} clients ...",
            flush=True,
        )
        with depth_watch(sqs, url) as samples:
            send_load(runtime.port, bodies, config.clients, config.send_budget_s, scenario)
        scenario.max_depth = max([scenario.depth_at_start, *samples, depth(sqs, url)])
        scenario.expected = scenario.accepted + extra
        print(
            f"  {name}: {scenario.accepted:,} accepted in {scenario.send_seconds:.1f} s "
            f"({scenario.accept_rate:,.0f} events/s), p50 {scenario.p50:.2f} s, p99 {scenario.p99:.2f} s; "
            "draining ...",
            flush=True,
        )
        drain(runtime.port, sqs, url, ids, scenario, config.drain_budget_s, config.clients)
        scenario.elapsed = time.perf_counter() - began
    finally:
        runtime.stop()
        scenario.runtime_problems += runtime.problems
        scenario.problem_examples += runtime.problem_examples
    return scenario


def bench_sustained(config: SustainedConfig | None = None) -> SustainedResult:
    config = config or sustained_config()
    started = time.perf_counter()
    result = SustainedResult(config=config)
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="orbit-bench-sustained-") as tmp:
        for name, backlog, seed in (("drained", 0, 11), ("backlog", config.backlog, 12)):
            result.scenarios.append(run_scenario(config, Path(tmp) / name, run, name, backlog, seed))
    result.total_seconds = time.perf_counter() - started
    return result


def as_json(result: SustainedResult) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "total_s": round(result.total_seconds, 1),
        "send_message_batch_ratio": round(result.probe_ratio, 2),
        "scenarios": [
            {
                "name": s.name,
                "depth_at_start": s.depth_at_start,
                "max_depth": s.max_depth,
                "prefilled": s.prefilled,
                "prefill_s": round(s.prefill_seconds, 1),
                "prefill_complete": s.prefill_complete,
                "prefill_how": s.prefill_how,
                "restart_s": round(s.restart_seconds, 1),
                "restored_depth": s.restored_depth,
                "startup_s": round(s.startup_seconds, 1),
                "probe_depth": s.probe.depth,
                "send_message_batch_ms": round(s.probe.median * 1000, 1),
                "requests": s.requests,
                "failed_requests": s.failed_requests,
                "errors": s.errors,
                "planned": s.planned,
                "accepted": s.accepted,
                "rejected": s.rejected,
                "send_s": round(s.send_seconds, 1),
                "send_complete": s.send_complete,
                "accept_rate": round(s.accept_rate),
                "p50_s": round(s.p50, 3),
                "p99_s": round(s.p99, 3),
                "expected": s.expected,
                "folded": s.folded,
                "drain_s": None if s.drain_seconds is None else round(s.drain_seconds, 1),
                "drain_waited_s": round(s.drain_waited, 1),
                "fold_rate": round(s.fold_rate, 1),
                "runtime_problems": s.runtime_problems,
                "problem_examples": s.problem_examples,
            }
            for s in result.scenarios
        ],
    }


def main() -> int:
    result = bench_sustained()
    print(json.dumps(as_json(result), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
