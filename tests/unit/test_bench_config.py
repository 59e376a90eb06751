"""The benchmark replays the consumer with the deployed event source's batch size; its sustained-load sizes
come from the environment (BENCH_QUICK, BENCH_SUSTAINED_*)."""

import pytest
from chalice.app import SQSEventConfig

from app import app
from bench.config import BATCH_SIZE, QUICK_SUSTAINED, sustained_config


def test_benchmark_batches_match_the_event_source():
    (source,) = [s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.name == "consume_events"]
    assert source.batch_size == BATCH_SIZE


def test_sustained_load_sizes_come_from_the_environment():
    full = sustained_config({})
    assert (full.events, full.per_request, full.clients, full.backlog) == (20_000, 500, 2, 10_000)
    quick = sustained_config({"BENCH_QUICK": "1"})
    assert quick == QUICK_SUSTAINED and quick.events < full.events and quick.backlog < full.backlog
    assert sustained_config({"BENCH_QUICK": "0"}) == full
    env = {"BENCH_QUICK": "1", "BENCH_SUSTAINED_EVENTS": "800", "BENCH_SUSTAINED_DRAIN_BUDGET_S": "2.5"}
    tuned = sustained_config(env)
    assert (tuned.events, tuned.drain_budget_s, tuned.contacts) == (800, 2.5, QUICK_SUSTAINED.contacts)


def test_sustained_load_refuses_requests_the_api_would_refuse():
    with pytest.raises(ValueError):
        sustained_config({"BENCH_SUSTAINED_PER_REQUEST": "501"})
