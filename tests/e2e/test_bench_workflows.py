"""The workflows benchmark section's code runs end to end at a tiny size: its figures on ``make run``'s runtime
in a subprocess, its calls per journey on the in-process runtime (in a fresh interpreter). Nothing is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.common import ROOT
from bench.workflows_phase import WorkflowsConfig, bench_workflows
from bench.workflows_report import workflows_section

pytestmark = pytest.mark.e2e

TINY = WorkflowsConfig(starts=3, clients=2, samples=1, burst=2, timeout_s=60.0, drain_budget_s=60.0)


def test_the_section_runs_on_make_runs_runtime_at_a_tiny_size():
    result = bench_workflows(TINY)
    assert (result.started, result.finished, result.start_failures) == (3, 3, [])
    assert (len(result.message_seen), len(result.event_seen), result.timeouts) == (1, 1, 0)
    assert (len(result.burst_sent), result.burst_missing) == (2, 0)
    assert result.drain_seconds is not None and result.raw_seconds > 0
    assert result.runtime_problems == 0, result.problem_examples
    assert "## Workflows" in workflows_section(result)


def test_the_calls_per_journey_are_counted_on_the_in_process_runtime():
    # in a fresh interpreter: an in-process runtime re-points this process's AWS clients and settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORBIT_", "MOTO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench.workflows_calls", "1"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    calls = json.loads(done.stdout.strip().splitlines()[-1])
    assert calls["start"]["StartExecution"] == 1  # the start's own call, not the task's
    assert "StartExecution" not in calls["task"] and calls["task"].get("SendMessageBatch", 0) >= 1
    assert calls["contact"]["PutItem"] >= 1
