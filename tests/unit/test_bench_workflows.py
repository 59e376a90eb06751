"""The workflows benchmark section's sizes come from the environment, and its report states the goal's verdict,
what did not finish and the ratios to the baselines (tests/e2e/test_bench_workflows.py runs its code). Nothing
here is timed: the figures are the benchmark's business."""

from __future__ import annotations

import pytest

from bench.workflows_phase import QUICK_WORKFLOWS, Stamps, WorkflowsConfig, WorkflowsResult, workflows_config
from bench.workflows_report import workflows_section

TINY = WorkflowsConfig(starts=3, clients=2, samples=1, burst=2, timeout_s=60.0, drain_budget_s=60.0)


def test_sizes_come_from_the_environment():
    assert workflows_config({}) == WorkflowsConfig()
    assert workflows_config({"BENCH_QUICK": "1"}) == QUICK_WORKFLOWS
    tuned = workflows_config({"BENCH_QUICK": "1", "BENCH_WORKFLOWS_STARTS": "7", "BENCH_WORKFLOWS_TIMEOUT_S": "2.5"})
    assert (tuned.starts, tuned.timeout_s, tuned.samples) == (7, 2.5, QUICK_WORKFLOWS.samples)


@pytest.mark.parametrize("name, value", [("STARTS", "0"), ("CLIENTS", "0"), ("BURST", "501")])
def test_sizes_the_run_cannot_use_are_refused(name: str, value: str):
    with pytest.raises(ValueError):
        workflows_config({f"BENCH_WORKFLOWS_{name}": value})


def _result(message_seen: list[float], drain_seconds: float | None) -> WorkflowsResult:
    return WorkflowsResult(
        config=TINY,
        event_seen=[0.1] * len(message_seen),
        message_seen=message_seen,
        stamps=[Stamps(started=0.03, created=0.12, sent=0.15)] * len(message_seen),
        started=3,
        finished=3 if drain_seconds is not None else 1,
        start_seconds=1.0,
        put_seconds=0.5,
        raw_seconds=0.1,
        drain_seconds=drain_seconds,
    )


def test_the_report_says_whether_the_goal_is_met():
    assert "< 1 s: met" in workflows_section(_result([0.3, 0.4, 0.5], 0.5))
    assert "< 1 s: not met" in workflows_section(_result([1.2, 1.4, 1.5], 0.5))


def test_the_report_says_how_many_messages_a_drain_that_ran_out_left_and_why():
    result = _result([0.3], None)
    result.unsent = ["running / SUCCEEDED: 2"]
    text = workflows_section(result)
    assert "1 of 3 messages were in the outbox" in text
    assert "running / SUCCEEDED: 2" in text


def test_the_report_gives_the_ratios_to_the_baselines():
    text = workflows_section(_result([0.3], 0.5))
    assert "| 3.0 | 6.0 (`PUT /v1/contacts`) | 0.50 |" in text  # 3 starts in 1 s vs 3 PUTs in 0.5 s
    assert "30 (raw `StartExecution`, a `Pass` machine) | 0.100 |" in text
