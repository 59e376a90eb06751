"""Phase 1 of ``make bench`` (owns HTTP handler -> SQS): ``POST /v1/events`` through the local runtime's
HTTP server vs. raw ``send_message_batch`` of the same message bodies in batches of ten."""

from __future__ import annotations

import http.client
import json
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import chunks, compact, event_in, interleaved_stream, queued_event, rate, timestamps
from bench.config import EVENTS_PER_REQUEST, HTTP_REQUESTS_PER_ROUND, ROUNDS
from bench.metering import TimedCalls
from chalicelib import aws
from chalicelib.deps import ports
from chalicelib.messages import dump, pack
from chalicelib.storage.items import METER


@dataclass
class HttpResult:
    orbit_rates: list[float] = field(default_factory=list)
    base_rates: list[float] = field(default_factory=list)
    events: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    body_bytes: int = 0  # average SQS message body
    request_bytes: int = 0  # average HTTP request body
    billed_sqs_per_batch: float = 1.0
    messages_per_request: float = 0.0  # queue messages per POST of EVENTS_PER_REQUEST events (packed)
    sqs_billed_per_event: float = 0.0  # send + receive + delete, billed per started 64 KB
    handler_seconds_per_request: float = 0.0
    ratios: list[float] = field(default_factory=list)  # per round, Orbit rate / baseline rate
    sqs_seconds_per_request: float = 0.0  # inside the handler's SendMessageBatch calls
    base_seconds_per_request: float = 0.0


def _purge(sqs: Any, url: str) -> None:
    sqs.purge_queue(QueueUrl=url)


def _queue_depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def _http_round(rng: random.Random, now: datetime) -> list[tuple[bytes, list[str]]]:
    """Requests of one round: (HTTP body, the SQS bodies Orbit would queue for it)."""

    out = []
    for _ in range(HTTP_REQUESTS_PER_ROUND):
        ids = [f"http-{uuid.uuid4().hex[:10]}" for _ in range(10)]
        stream = interleaved_stream(rng, ids, (EVENTS_PER_REQUEST // 10, EVENTS_PER_REQUEST // 10), 3)
        events = [
            event_in(rng, ext, etype, cart, at)
            for (ext, etype, cart), at in zip(stream, timestamps(len(stream), now), strict=True)
        ]
        singles = [queued_event(e, now) for e in events]
        bodies = [compact(dump(m)) for m in pack(list(singles))]  # what the handler queues: packed events
        out.append((compact({"events": events}).encode(), bodies))
    return out


def bench_http(runtime: Any) -> HttpResult:

    sqs = aws.client("sqs")  # the baseline's own client; Orbit's handler uses aws.sqs()
    url = sqs.get_queue_url(QueueName=ports().settings.events_queue)["QueueUrl"]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {runtime.api_key}"}
    conn = http.client.HTTPConnection("127.0.0.1", runtime.port, timeout=60)
    rng = random.Random(7)
    now = datetime.now(UTC)
    result = HttpResult()

    def orbit(body: bytes, check: bool = False) -> float:
        start = time.perf_counter()
        conn.request("POST", "/v1/events", body=body, headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        seconds = time.perf_counter() - start
        if response.status != 202 or answer.get("accepted") != EVENTS_PER_REQUEST:
            raise SystemExit(f"POST /v1/events answered {response.status}: {answer}")
        if check and _queue_depth(sqs, url) != expected_messages:
            raise SystemExit(f"the HTTP handler did not queue {expected_messages} packed messages")
        _purge(sqs, url)  # keep moto's queue shallow: its SendMessageBatch slows with depth
        return seconds

    def baseline(bodies: list[str]) -> float:
        start = time.perf_counter()
        for batch in chunks(bodies, 10):
            out = sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(batch)]
            )
            if out.get("Failed"):
                raise SystemExit(f"baseline send failed: {out['Failed']}")
        seconds = time.perf_counter() - start
        _purge(sqs, url)
        return seconds

    expected_messages = 0

    def paired(requests: list[tuple[bytes, list[str]]], check: bool = False) -> tuple[float, float]:
        """Each request through Orbit and through the baseline, alternating who goes first."""
        nonlocal expected_messages
        orbit_s = base_s = 0.0
        for i, (body, bodies) in enumerate(requests):
            expected_messages = len(bodies)
            if i % 2:
                base_s += baseline(bodies)
                orbit_s += orbit(body, check)
            else:
                orbit_s += orbit(body, check)
                base_s += baseline(bodies)
        return orbit_s, base_s

    _purge(sqs, url)
    paired(_http_round(rng, now), check=True)  # warm-up
    # the handler's own queue adapter (same process): time its SQS calls
    queue = ports().publisher.queues["events"]  # type: ignore[attr-defined]
    sends = TimedCalls(queue.client, "send_message_batch")
    queue.client = sends
    METER.reset()
    for _ in range(ROUNDS):
        requests = _http_round(rng, now)
        orbit_s, base_s = paired(requests)
        events = len(requests) * EVENTS_PER_REQUEST
        result.orbit_rates.append(rate(events, orbit_s))
        result.base_rates.append(rate(events, base_s))
        result.ratios.append(base_s / orbit_s)
        result.events += events
        result.handler_seconds_per_request += orbit_s / (ROUNDS * len(requests))
        result.base_seconds_per_request += base_s / (ROUNDS * len(requests))
        sizes = [len(b.encode()) for _, bodies in requests for b in bodies]
        result.body_bytes = sum(sizes) // len(sizes)
        result.request_bytes = sum(len(body) for body, _ in requests) // len(requests)
    result.requests = METER.snapshot()["requests"]
    result.sqs_seconds_per_request = sends.seconds / (ROUNDS * HTTP_REQUESTS_PER_ROUND)
    queue.client = sends.target
    result.billed_sqs_per_batch = math.ceil(result.body_bytes * 10 / 65536)  # SQS bills per 64 KB chunk
    sample = _http_round(rng, now)
    result.messages_per_request = sum(len(bodies) for _, bodies in sample) / len(sample)
    result.sqs_billed_per_event = sum(_billed(bodies) for _, bodies in sample) / (len(sample) * EVENTS_PER_REQUEST)
    conn.close()
    return result


def _billed(bodies: list[str]) -> int:
    """SQS requests billed to send, receive and delete ``bodies``: each SendMessageBatch (up to 10 messages,
    250 KB, as the queue adapter groups them) and each receive of the same payload counts one request per
    started 64 KB; deletes go ten to a request."""
    units = 0
    for group in chunks(bodies, 10):
        size = sum(len(b.encode()) for b in group)
        units += 2 * max(1, math.ceil(size / 65536))
    return units + math.ceil(len(bodies) / 10)
