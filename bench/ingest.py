"""``make bench``: ingestion throughput and cost per event, each beside a raw boto3 baseline.

Two phases, both against one in-process moto server started by the real local runtime:

0. The orbit.js snippet's gzipped size (``bench.sdk_size``).
1. HTTP (``bench.http_phase``): ``POST /v1/events`` (100 events per request) through the runtime's
   HTTP server into SQS, vs. raw ``send_message_batch`` of the same message bodies in batches of ten.
2. Consumer (``bench.consumer_phase``): ``Consumer(stores).process`` over batches of SQS records as large as
   the deployed event source's
   (interleaved browsing sessions, so a batch holds several events per contact), vs. raw boto3 minimal
   writes: one conditional PutItem per event plus one UpdateItem per contact per batch. Then the same
   records are redelivered: nothing may change.

Cost comes from ``chalicelib.storage.dynamo.METER`` (write units by DynamoDB's sizing rules, not
moto's ConsumedCapacity; see ``bench.metering``). Results: stdout, ``docs/benchmarks.md`` (ingest
section, ``bench.report``), ``docs/cost.md`` (``bench.cost_doc``). Run settings: ``bench.config``.
Absolute events/s are moto's, not AWS's; the ratios are the point. This module owns only the run.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from bench.common import DOCS, machine_note, replace_section
from bench.consumer_phase import bench_consumer
from bench.cost_doc import cost_doc
from bench.http_phase import bench_http
from bench.report import print_summary, report
from bench.sdk_size import measure, section
from chalicelib.local.runtime import LocalRuntime


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's and the dev server's request lines
    started = time.perf_counter()
    # moto enforces SQS's one-purge-per-60-s rule by default (read per call); the benchmark purges often
    os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
    runtime = LocalRuntime(port=0, stage="bench-http")
    runtime.start()
    try:
        # stop the pollers and the scheduler: the HTTP phase measures the edge alone, and the consumer
        # phase calls Consumer.process directly
        for worker in [*runtime.pollers, runtime.scheduler]:
            worker.stopping.set()
        for worker in [*runtime.pollers, runtime.scheduler]:
            worker.join(timeout=5)
        runtime.pollers = []
        runtime.scheduler = None
        print(f"moto at {os.environ['AWS_ENDPOINT_URL']}, Orbit at {runtime.url}; {machine_note()}", flush=True)
        print("phase 1: HTTP -> SQS ...", flush=True)
        http = bench_http(runtime)
        print(f"phase 2: consumer -> DynamoDB ... ({time.perf_counter() - started:.0f} s so far)", flush=True)
        scenarios, redelivery = bench_consumer()
        print(f"done ({time.perf_counter() - started:.0f} s so far)", flush=True)
    finally:
        runtime.stop()
    elapsed = time.perf_counter() - started
    replace_section(DOCS / "benchmarks.md", "ingest", report(http, scenarios, redelivery, elapsed))
    replace_section(DOCS / "benchmarks.md", "sdk", section(measure()))
    (DOCS / "cost.md").write_text(cost_doc(http, scenarios, redelivery) + "\n")
    print_summary(http, scenarios, redelivery)
    print(f"\nwrote docs/benchmarks.md (ingest section) and docs/cost.md in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
