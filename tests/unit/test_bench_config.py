"""The benchmark replays the consumer with the deployed event source's batch size."""

from chalice.app import SQSEventConfig

from app import app
from bench.config import BATCH_SIZE


def test_benchmark_batches_match_the_event_source():
    (source,) = [s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.name == "consume_events"]
    assert source.batch_size == BATCH_SIZE
