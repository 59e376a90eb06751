"""The local runtime's path for Step Functions' tasks: the embedded AWS posts each Lambda invoke to the runtime's
loopback-only ``POST /_local/lambda/<function>`` (``moto_lambda.forward``), which runs the app's
``@app.lambda_function`` handler and answers with its result or its error, named for Retry and Catch.

Here the state machine runs in this process's moto (``step_functions``) and the route is served by the runtime's
own request handler (``chalicelib.local.http_server``) on a free loopback port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.app import Chalice

from chalicelib.errors import Retryable
from chalicelib.local import moto_lambda
from chalicelib.local.http_server import _handler_class, _invoke_lambda
from tests.conftest import StepFunctions
from tests.workflows.conftest import asl, ended

calls: list[dict[str, Any]] = []
app = Chalice(app_name="orbit")


@app.lambda_function(name="workflow_task")
def workflow_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.append(event)
    if event.get("busy") and len(calls) == 1:
        raise Retryable("busy")
    return {"handled": event.get("n")}


@pytest.fixture
def forwarded(step_functions: StepFunctions) -> Iterator[StepFunctions]:
    """Invokes forwarded over HTTP to a local server running ``app`` above."""
    from chalice.config import Config
    from chalice.local import LocalDevServer

    from chalicelib.local.runtime import free_port

    calls.clear()
    port = free_port()
    config = Config(chalice_stage="local", config_from_disk={})
    server = LocalDevServer(app, config, "127.0.0.1", port, handler_cls=_handler_class())
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    undo = moto_lambda.forward(f"http://127.0.0.1:{port}")
    yield step_functions
    undo()
    server.server.shutdown()
    server.server.server_close()


def run(sf: StepFunctions, state: dict[str, Any], payload: dict[str, Any]) -> tuple[str, Any]:
    machines = sf.ports.machines
    _, target = machines.deploy("orbit-test-flow", asl({"Run": state}))
    execution = machines.start(target, "e1", payload)
    assert execution
    status = ended(machines, execution)
    out = machines.client.describe_execution(executionArn=execution)  # type: ignore[attr-defined]
    return status, json.loads(out.get("output") or "null")


def test_a_task_reaches_the_app_function_over_http(forwarded: StepFunctions) -> None:
    state = {"Type": "Task", "Resource": forwarded.task_arn, "ResultPath": "$.step", "End": True}

    status, output = run(forwarded, state, {"n": 7})

    assert status == "SUCCEEDED"
    assert output == {"n": 7, "step": {"handled": 7}}


def test_an_error_of_the_app_function_keeps_its_name_over_http(forwarded: StepFunctions) -> None:
    retry = [{"ErrorEquals": ["Retryable"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    state = {"Type": "Task", "Resource": forwarded.task_arn, "Retry": retry, "ResultPath": "$.step", "End": True}

    status, _ = run(forwarded, state, {"n": 1, "busy": True})

    assert status == "SUCCEEDED"
    assert len(calls) == 2


def test_the_route_refuses_a_client_that_is_not_on_loopback() -> None:
    calls.clear()
    refused: list[int] = []
    request = SimpleNamespace(
        client_address=("10.0.0.5", 40000),
        path="/_local/lambda/orbit-test-workflow_task",
        app_object=app,
        send_error=lambda code, message: refused.append(code),
    )

    _invoke_lambda(request)

    assert refused == [403]
    assert calls == []
