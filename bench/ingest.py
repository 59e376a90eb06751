"""``make bench``: cold start, ingestion throughput and cost per event, and sustained load, each beside a
baseline measured in the same run.

Usage: python -m bench.ingest [cold_start] [sdk] [ingest] [imports] [segments] [campaigns] [workflows] [sustained]
(no argument: all, in this order; BENCH_QUICK=1 shrinks the cold start, segments, campaigns, workflows and
sustained-load runs; sizes in ``bench.config``, ``bench.segments_phase.SegmentsConfig``,
``bench.campaigns_phase.CampaignsConfig`` and ``bench.workflows_phase.WorkflowsConfig``)

* Cold start (``bench.cold_start``): ``import app`` vs. ``import chalice, boto3, pydantic`` in fresh
  interpreters. Runs first, while nothing else runs on the machine.
* sdk: the orbit.js snippet's gzipped size (``bench.sdk_size``).
* Ingest: two phases, both against one in-process moto server started by the real local runtime.

  1. HTTP (``bench.http_phase``): ``POST /v1/events`` (100 events per request) through the runtime's
     HTTP server into SQS, vs. raw ``send_message_batch`` of the same message bodies in batches of ten.
  2. Consumer (``bench.consumer_phase``): ``Consumer(stores).process`` over batches of SQS records as large
     as the deployed event source's (interleaved browsing sessions, so a batch holds several events per
     contact), vs. raw boto3 minimal writes: one conditional PutItem per event plus one UpdateItem per contact
     per batch. Then the same records are redelivered: nothing may change.

  Cost comes from ``chalicelib.storage.items.METER`` (write units by DynamoDB's sizing rules, not moto's
  ConsumedCapacity; see ``bench.metering``); it also writes ``docs/cost.md`` (``bench.cost_doc``). Absolute
  events/s are moto's, not AWS's; the ratios are the point.
* Imports (``bench.imports_phase``): a 5,000-row contact import applied by the imports consumer vs. the same
  contacts written straight with BatchWriteItem, against the local runtime's moto.
* Segments (``bench.segments_phase``): rule evaluation in memory vs. a hand-written function; a full
  computation vs. a raw parallel scan and a sweep vs. a full computation, against the local runtime's moto;
  event -> ``Segment Entered`` on ``make run``'s runtime in a subprocess.
* Campaigns (``bench.campaigns_phase``): an email campaign's fan-out through render, policies, ledger and the
  sandbox sender vs. the same ledger writes with raw boto3, against the local runtime's moto.
* Workflows (``bench.workflows_phase``): a journey without waits on ``make run``'s runtime in a subprocess: event
  -> message in the outbox beside the event's own trip, and journeys started by API per second beside
  ``PUT /v1/contacts`` and raw ``StartExecution`` on the same embedded Step Functions.
* Sustained load (``bench.sustained``): ``make run``'s runtime in a subprocess under two concurrent clients,
  with a drained queue and with a standing backlog. Runs last, after the in-process runtime has stopped.

Each writes its own section of ``docs/benchmarks.md`` (wording in ``bench.report``) and prints a summary.
This module owns only the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator

from bench import cold_start
from bench.campaigns_phase import bench_campaigns, campaigns_config, campaigns_section, print_campaigns
from bench.common import DOCS, machine_note, replace_section
from bench.consumer_phase import bench_consumer
from bench.cost_doc import cost_doc
from bench.http_phase import bench_http
from bench.imports_phase import bench_imports
from bench.report import (
    cold_start_section,
    imports_section,
    print_cold_start,
    print_imports,
    print_summary,
    print_sustained,
    report,
    sustained_section,
)
from bench.sdk_size import measure, section
from bench.segments_phase import bench_build, bench_evaluation, bench_latency, segments_config
from bench.segments_report import SegmentsResult, print_segments, segments_section
from bench.sustained import bench_sustained
from bench.workflows_calls import count_calls
from bench.workflows_phase import bench_workflows, workflows_config
from bench.workflows_report import print_workflows, workflows_section
from chalicelib.local.runtime import LocalRuntime

SECTIONS = ("cold_start", "sdk", "ingest", "imports", "segments", "campaigns", "workflows", "sustained")
_ENVIRON = dict(os.environ)  # as make bench started: a stopped LocalRuntime leaves its AWS_ENDPOINT_URL behind


def run_ingest() -> None:
    started = time.perf_counter()
    # the HTTP phase measures the edge alone, and the consumer phase calls Consumer.process directly
    with _quiet_runtime("bench-http") as runtime:
        print(f"moto at {os.environ['AWS_ENDPOINT_URL']}, Orbit at {runtime.url}; {machine_note()}", flush=True)
        print("phase 1: HTTP -> SQS ...", flush=True)
        http = bench_http(runtime)
        print(f"phase 2: consumer -> DynamoDB ... ({time.perf_counter() - started:.0f} s so far)", flush=True)
        scenarios, redelivery = bench_consumer()
        print(f"done ({time.perf_counter() - started:.0f} s so far)", flush=True)
    elapsed = time.perf_counter() - started
    replace_section(DOCS / "benchmarks.md", "ingest", report(http, scenarios, redelivery, elapsed))
    (DOCS / "cost.md").write_text(cost_doc(http, scenarios, redelivery) + "\n")
    print_summary(http, scenarios, redelivery)


def run_imports() -> None:
    with _quiet_runtime("bench-imports"):  # the bench hands chunks to the consumer itself
        result = bench_imports()
    replace_section(DOCS / "benchmarks.md", "imports", imports_section(result))
    print_imports(result)


@contextlib.contextmanager
def _started_environment() -> Iterator[None]:
    """Run with the environment this process started with, and leave it so: a LocalRuntime points
    ``AWS_ENDPOINT_URL`` (and the ``ORBIT_*`` settings) at its moto and keeps them after it stops, so a later
    runtime would reuse the stopped moto's address instead of starting its own."""
    os.environ.clear()
    os.environ.update(_ENVIRON)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(_ENVIRON)


@contextlib.contextmanager
def _quiet_runtime(stage: str) -> Iterator[LocalRuntime]:
    """A local runtime for one section, in the environment this process started with, with its pollers and
    scheduler stopped (the sections hand messages to the consumers themselves), stopped again afterwards."""
    with _started_environment():
        # moto enforces SQS's one-purge-per-60-s rule by default (read per call); the benchmarks purge often
        os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
        runtime = LocalRuntime(port=0, stage=stage)
        runtime.start()
        try:
            for worker in [*runtime.pollers, runtime.scheduler]:
                worker.stopping.set()
            for worker in [*runtime.pollers, runtime.scheduler]:
                worker.join(timeout=5)
            runtime.pollers = []
            runtime.scheduler = None
            yield runtime
        finally:
            runtime.stop()


def run_segments() -> None:
    config = segments_config()
    started = time.perf_counter()
    print(f"  rule evaluation over {config.eval_contacts:,} contacts in memory ...", flush=True)
    evaluation = bench_evaluation(config)
    with _quiet_runtime("bench-segments"):  # the bench drains the imports queue itself
        print(f"  full computation and sweep over {config.build_contacts:,} contacts on moto ...", flush=True)
        build = bench_build(config)
    print(f"  event -> Segment Entered, {config.latency_samples} samples on make run's runtime ...", flush=True)
    latency = bench_latency(config)
    result = SegmentsResult(config, evaluation, build, latency, time.perf_counter() - started)
    replace_section(DOCS / "benchmarks.md", "segments", segments_section(result))
    print_segments(result)


def run_campaigns() -> None:
    config = campaigns_config()
    with _quiet_runtime("bench-campaigns"):  # the bench drains the imports queue itself
        result = bench_campaigns(config)
    replace_section(DOCS / "benchmarks.md", "campaigns", campaigns_section(result))
    print_campaigns(result)


def run_workflows() -> None:
    with _quiet_runtime("bench-workflows"):  # AWS calls per journey, counted in this process
        calls = count_calls()
    result = bench_workflows(workflows_config())  # the figures, on make run's runtime in a subprocess
    result.calls = calls
    replace_section(DOCS / "benchmarks.md", "workflows", workflows_section(result))
    print_workflows(result)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's and the dev server's request lines
    unknown = [a for a in argv if a not in SECTIONS]
    if unknown:
        print(f"unknown sections {unknown}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    chosen = [name for name in SECTIONS if name in argv] if argv else list(SECTIONS)
    started = time.perf_counter()
    if "cold_start" in chosen:
        print("cold start: import app vs. import chalice, boto3, pydantic ...", flush=True)
        cold = cold_start.measure()
        replace_section(DOCS / "benchmarks.md", "cold_start", cold_start_section(cold))
        print_cold_start(cold)
    if "sdk" in chosen:
        replace_section(DOCS / "benchmarks.md", "sdk", section(measure()))
    if "ingest" in chosen:
        run_ingest()
    if "imports" in chosen:
        print("imports: a 5,000-row contact import vs. raw BatchWriteItem ...", flush=True)
        run_imports()
    if "segments" in chosen:
        print("segments: evaluation, full computation vs. scan, sweep, event -> Segment Entered ...", flush=True)
        run_segments()
    if "campaigns" in chosen:
        print("campaigns: fan-out through render, policies, ledger and sandbox vs. raw ledger writes ...", flush=True)
        run_campaigns()
    if "workflows" in chosen:
        print("workflows: event -> message and journeys started per second on make run's runtime ...", flush=True)
        run_workflows()
    if "sustained" in chosen:
        print("sustained load: make run's runtime under two clients ...", flush=True)
        load = bench_sustained()
        replace_section(DOCS / "benchmarks.md", "sustained", sustained_section(load))
        print_sustained(load)
    written = ", ".join(chosen)
    also = " and docs/cost.md" if "ingest" in chosen else ""
    print(f"\nwrote docs/benchmarks.md ({written}){also} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
