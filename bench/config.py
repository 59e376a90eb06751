"""Constants that configure the benchmark runs (owns the workloads' shapes and sizes)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

ROUNDS = 3  # measured rounds per comparison (after one warm-up round)
HTTP_REQUESTS_PER_ROUND = 8
EVENTS_PER_REQUEST = 100
CONTACTS_PER_ROUND = 30
EVENTS_PER_CONTACT = (4, 12)
SESSIONS_AT_ONCE = 3  # browsing sessions interleaved in the queue at any moment
BATCH_SIZE = 100  # app.py: on_sqs_message(batch_size=100); tests/unit/test_bench_config.py keeps them equal
NAIVE_WCU_PER_EVENT = 6  # the naive design: dedupe row + event row + 4 KB contact rewrite


def quick(env: Mapping[str, str] = os.environ) -> bool:
    """BENCH_QUICK=1: the sections that support it run small (cold start, sustained load)."""
    return env.get("BENCH_QUICK", "") not in ("", "0")


# Cold start (bench/cold_start.py): fresh interpreters per variant (BENCH_COLD_START_RUNS overrides).
COLD_START_RUNS = 15
QUICK_COLD_START_RUNS = 5


# Sustained load (bench/sustained.py): what a user of `make run` sees. BENCH_QUICK=1 shrinks every size for
# a quick run; BENCH_SUSTAINED_<NAME> (e.g. BENCH_SUSTAINED_EVENTS=5000) overrides one.
@dataclass(frozen=True)
class SustainedConfig:
    events: int = 20_000  # sent per scenario, by all clients together
    per_request: int = 500  # events per POST /v1/events (the API's maximum)
    clients: int = 2  # concurrent clients, each with its own HTTP connection
    contacts: int = 300
    backlog: int = 10_000  # messages standing in the events queue in the second scenario
    probes: int = 10  # raw SendMessageBatch calls timed at each queue depth
    send_budget_s: float = 40.0  # a scenario's clients stop starting requests after this long
    prefill_budget_s: float = 20.0  # the backlog pre-fill stops after this long, however deep it got
    drain_budget_s: float = 50.0  # give up waiting for the consumer after this long (reported as not drained)


QUICK_SUSTAINED = SustainedConfig(
    events=2_000, contacts=50, backlog=1_000, probes=5, send_budget_s=15, prefill_budget_s=8, drain_budget_s=15
)


def sustained_config(env: Mapping[str, str] = os.environ) -> SustainedConfig:
    """The sustained-load run's sizes: the full run, or BENCH_QUICK's, with any BENCH_SUSTAINED_* overrides."""
    base = QUICK_SUSTAINED if quick(env) else SustainedConfig()
    overrides: dict[str, Any] = {}
    for item in fields(SustainedConfig):
        raw = env.get(f"BENCH_SUSTAINED_{item.name.upper()}")
        if raw:
            overrides[item.name] = float(raw) if item.name.endswith("_s") else int(raw)
    config = replace(base, **overrides)
    if not 1 <= config.per_request <= 500 or config.clients < 1 or config.contacts < 1 or config.events < 1:
        raise ValueError(f"unusable sustained-load settings: {config}")
    return config
