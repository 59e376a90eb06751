"""Constants that configure the ingestion benchmark run (owns the workload's shape and sizes)."""

from __future__ import annotations

ROUNDS = 3  # measured rounds per comparison (after one warm-up round)
HTTP_REQUESTS_PER_ROUND = 8
EVENTS_PER_REQUEST = 100
CONTACTS_PER_ROUND = 30
EVENTS_PER_CONTACT = (4, 12)
SESSIONS_AT_ONCE = 3  # browsing sessions interleaved in the queue at any moment
BATCH_SIZE = 100  # app.py: on_sqs_message(batch_size=100); tests/unit/test_bench_config.py keeps them equal
NAIVE_WCU_PER_EVENT = 6  # the naive design: dedupe row + event row + 4 KB contact rewrite
