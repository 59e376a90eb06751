"""Journeys on a second interpreter: LocalStack's Step Functions (host-side, ``make localstack-test``) runs the
compiled States Language, its task states sent through a LocalStack SQS queue to the real task code in this
process (``bridge.py``), everything else (DynamoDB, the event queues, the consumer) on moto as in
``tests/workflows``. Tests marked ``localstack`` skip, saying why, when LocalStack does not answer."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import secrets
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import tests.workflows.conftest  # noqa: F401  (before studio.py, which imports it back)
from chalicelib import deps
from chalicelib.contacts.changes import ContactChanges
from chalicelib.services.workflows import definitions
from chalicelib.services.workflows.published import PUBLISHED
from chalicelib.storage.state_machines import StepFunctionsMachines
from chalicelib.workflows.asl import compile_workflow
from tests.conftest import Api, StepFunctions
from tests.localstack.bridge import TaskBridge
from tests.workflows.studio import Studio

URL = os.environ.get("ORBIT_LOCALSTACK_URL", "http://127.0.0.1:4566")
ROLE = "arn:aws:iam::000000000000:role/orbit-localstack-workflows"  # LocalStack's account; it checks no IAM


@dataclasses.dataclass
class LocalStack:
    url: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="session")
def localstack() -> LocalStack:
    """LocalStack at ``ORBIT_LOCALSTACK_URL``, with Step Functions and SQS available; the test skips otherwise."""
    try:
        with urllib.request.urlopen(f"{URL}/_localstack/health", timeout=2) as answer:
            services = json.load(answer).get("services", {})
    except (OSError, ValueError) as exc:
        pytest.skip(f"LocalStack is not reachable at {URL} ({exc}); `make localstack-test` starts it")
    missing = [s for s in ("stepfunctions", "sqs") if services.get(s) not in ("available", "running")]
    if missing:
        pytest.skip(f"LocalStack at {URL} does not serve {', '.join(missing)}")
    return LocalStack(URL)


@dataclasses.dataclass
class Bridged:
    """The journeys studio with its state machines on LocalStack; ``sfn`` reads their executions."""

    studio: Studio
    sfn: Any
    bridge: TaskBridge

    def states_entered(self, execution_arn: str) -> list[str]:
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        events = [event for page in pages for event in page["events"]]
        return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]

    def task_outcomes(self, execution_arn: str) -> list[str]:
        """How each task attempt ended, in order: the error's name, or ``succeeded``."""
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        events = [event for page in pages for event in page["events"]]
        return [
            e["taskFailedEventDetails"]["error"] if e["type"] == "TaskFailed" else "succeeded"
            for e in events
            if e["type"] in ("TaskFailed", "TaskSucceeded")
        ]

    def definition(self, execution_arn: str) -> dict[str, Any]:
        machine = self.sfn.describe_execution(executionArn=execution_arn)["stateMachineArn"]
        return dict(json.loads(self.sfn.describe_state_machine(stateMachineArn=machine)["definition"]))


@pytest.fixture
def on_localstack(
    localstack: LocalStack, step_functions: StepFunctions, atomic_requests: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bridged]:
    """Like ``tests/workflows``' ``studio`` (time 86,400 times faster), but publishing compiles the task states onto
    a fresh LocalStack queue, deploys to LocalStack's Step Functions, and the bridge answers the tasks."""
    sqs, sfn = localstack.client("sqs"), localstack.client("stepfunctions")
    queue_url = sqs.create_queue(QueueName=f"orbit-tasks-{secrets.token_hex(4)}")["QueueUrl"]
    queued = functools.partial(compile_workflow, task_queue_url=queue_url)
    monkeypatch.setattr(definitions, "compile_workflow", queued)
    settings = step_functions.ports.settings.model_copy(
        update={"time_scale": 86400.0, "public_url": "https://orbit.example.com"}
    )
    machines = StepFunctionsMachines(lambda: sfn, ROLE, "machine")
    ports = dataclasses.replace(step_functions.ports, settings=settings, changes=ContactChanges(), machines=machines)
    deps.subscribe_engines(ports)
    deps.pin(ports)
    PUBLISHED.invalidate()
    bridge = TaskBridge(sqs, sfn, queue_url).start()
    yield Bridged(Studio(ports, Api(client=None, stores=ports)), sfn, bridge)
    bridge.stop()
    PUBLISHED.invalidate()
    sqs.delete_queue(QueueUrl=queue_url)
    assert not bridge.errors, f"the task bridge failed: {bridge.errors!r}"
