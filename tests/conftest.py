"""Shared fixtures: moto-backed AWS provisioned from infra/, the Chalice test client, key seeding.

Environment is set before ``app`` is imported, as Chalice's deploy does (the queue name in the
``on_sqs_message`` decorator is read at import).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ORBIT_STAGE": "test",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from chalicelib import aws, deps  # noqa: E402
from chalicelib.clock import FixedClock  # noqa: E402
from chalicelib.local.provision import provision  # noqa: E402
from chalicelib.ports import Ports  # noqa: E402

SECRET_KEY = "osk_test_secret_key_0123456789"
SITE_KEY = "opk_test_site_key_0123456789"
SITE_ORIGIN = "https://shop.example"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def stores(clock: FixedClock) -> Iterator[Ports]:
    """A fresh moto account with the stage's resources, and the ports wired to it."""
    with mock_aws():
        deps.reset()
        os.environ.update(provision(aws.cloudformation(), "test"))
        built = deps.build(deps.get_settings(), clock)
        deps.pin(built)
        yield built
        deps.reset()


@dataclass
class StepFunctions:
    """Step Functions on moto running state machines for real, its Lambda invokes answered in this process by
    ``handlers`` (function name -> handler; the stage's ``workflow_task`` function is the app's until a test
    replaces it), and ``ports`` whose ``machines`` deploy with the stage's role and start on the machine's ARN."""

    ports: Ports
    task_arn: str
    task_function: str
    handlers: dict[str, Any]


@pytest.fixture
def step_functions(stores: Ports, monkeypatch: pytest.MonkeyPatch) -> Iterator[StepFunctions]:
    import contextlib
    import dataclasses

    from moto.awslambda_simple.models import lambda_simple_backends
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from app import app
    from chalicelib.local import moto_lambda
    from chalicelib.storage.state_machines import StepFunctionsMachines

    for backends in (stepfunctions_parser_backends, lambda_simple_backends):  # mock_aws() leaves these as they were
        for backend in backends.values():
            backend.reset()
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    monkeypatch.setitem(default_user_config, "lambda", {"use_docker": False})
    name = f"{app.app_name}-{stores.settings.stage}-workflow_task"
    role = stores.settings.workflow_role_arn
    task_arn = moto_lambda.create_function(aws.client("lambda"), name, role)
    for variable, value in (("ORBIT_WORKFLOW_TASK_ARN", task_arn), ("ORBIT_WORKFLOW_START_ON", "machine")):
        monkeypatch.setenv(variable, value)
    settings = stores.settings.model_copy(update={"workflow_task_arn": task_arn, "workflow_start_on": "machine"})
    machines = StepFunctionsMachines(aws.stepfunctions, role, "machine")
    wired = dataclasses.replace(stores, settings=settings, machines=machines)
    deps.pin(wired)
    handlers: dict[str, Any] = moto_lambda.app_handlers(app, stores.settings.stage)
    undo = moto_lambda.route(handlers)
    yield StepFunctions(wired, task_arn, name, handlers)
    sfn = aws.stepfunctions()  # no execution outlives the test (its next task would find no moto)
    for machine in sfn.list_state_machines()["stateMachines"]:
        for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")[
            "executions"
        ]:
            with contextlib.suppress(Exception):  # moto cannot stop one whose interpreter has not begun
                sfn.stop_execution(executionArn=execution["executionArn"])
    undo()


def basic(key: str, user: str = "api") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Api:
    """The Chalice test client with Orbit's keys and a queue drain."""

    client: Any
    stores: Ports

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        key: str | None = SECRET_KEY,
        raw: bytes | str | None = None,
    ) -> Any:
        sent = {"Content-Type": "application/json", **(basic(key) if key else {}), **(headers or {})}
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.client.http.request(method, path, headers=sent, body=payload)

    def json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        response = self.call(method, path, body, **kwargs)
        return response.status_code, json.loads(response.body) if response.body else None

    def drain(self, max_rounds: int = 20) -> int:
        """Run both queue consumers (imports, then events) until their queues are empty; returns
        messages handled."""
        from app import consume_events, consume_imports

        settings = self.stores.settings
        handled = 0
        for queue, handler in ((settings.imports_queue, consume_imports), (settings.events_queue, consume_events)):
            handled += self._drain(queue, handler, max_rounds)
        return handled

    def _drain(self, queue: str, handler: Any, max_rounds: int) -> int:
        sqs = aws.sqs()
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        handled = 0
        for _ in range(max_rounds):
            out = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
            )
            messages = out.get("Messages", [])
            if not messages:
                return handled
            event = {
                "Records": [
                    sqs_record(m["Body"], m["MessageId"], m["ReceiptHandle"], m.get("MessageAttributes"))
                    for m in messages
                ]
            }
            result = handler(event, None)
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            for m in messages:
                if m["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            handled += len(messages) - len(failed)
            if failed:
                return handled
        return handled


def sqs_record(
    body: str, message_id: str | None = None, receipt: str = "r", attributes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An SQS record as Lambda delivers it (message attributes in Lambda's lower-camel shape)."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt,
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {
            name: {"stringValue": a.get("StringValue"), "dataType": a["DataType"]}
            for name, a in (attributes or {}).items()
        },
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orbit-test-events",
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def api(stores: Ports) -> Iterator[Api]:
    from chalice.test import Client

    from app import app
    from chalicelib.services.keys import create_key

    create_key(stores, "secret", "test secret", plaintext=SECRET_KEY)
    create_key(stores, "site", "test site", origins=[SITE_ORIGIN], plaintext=SITE_KEY)
    with Client(app, stage_name="test") as client:
        yield Api(client, stores)


@dataclass
class Platform:
    """``make run`` in a subprocess: the local runtime over real HTTP."""

    url: str
    api_key: str
    site_key: str
    process: Any

    def request(
        self, method: str, path: str, body: Any = None, key: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json", **basic(key or self.api_key), **(headers or {})}
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def until(self, check: Any, timeout: float = 20.0) -> Any:
        """Poll ``check()`` until it returns something truthy (the consumer is asynchronous)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.1)


def start_platform(extra_env: dict[str, str] | None = None) -> Platform:
    """``python -m chalicelib.local.runtime`` on a free port (and its embedded AWS on another). Its data folder is
    a fresh temporary one (removed by ``stop_platform``) unless ``extra_env`` names one (``ORBIT_DATA_DIR``), as a
    restart test does. What it prints once ready is read as it comes (``platform.lines``), so its log lines never
    fill the pipe and block it."""
    import contextlib
    import shutil
    import subprocess
    import sys
    import tempfile
    import threading
    import time
    from pathlib import Path

    from chalicelib.local.runtime import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORBIT_", "MOTO_"))}
    scratch = Path(tempfile.gettempdir()) / f"orbit-e2e-data-{port}"
    shutil.rmtree(scratch, ignore_errors=True)  # a leftover of an earlier run on the same port
    env.update(
        {
            "PORT": str(port),
            "ORBIT_API_KEY": "osk_e2e_secret_key_123456",
            "ORBIT_SITE_KEY": "opk_e2e_site_key_123456",
            "ORBIT_DATA_DIR": str(scratch),
            "ORBIT_AWS_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.runtime"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        with contextlib.suppress(OSError, ValueError):  # a test closed the pipe
            lines.extend(iter(process.stdout.readline, ""))

    deadline = time.monotonic() + 60
    output = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "ready" in line:
            platform = Platform(f"http://127.0.0.1:{port}", env["ORBIT_API_KEY"], env["ORBIT_SITE_KEY"], process)
            platform.banner = "".join(output)  # what it printed while starting (a restart test reads it)
            platform.lines = lines
            platform.reader = threading.Thread(target=read, daemon=True)
            platform.reader.start()
            return platform
    process.kill()
    process.wait()
    shutil.rmtree(scratch, ignore_errors=True)
    raise RuntimeError("the local runtime did not become ready:\n" + "".join(output))


def stop_platform(platform: Platform) -> str:
    """SIGINT, as Ctrl-C; returns what it printed after starting. Removes the temporary data folder."""
    import shutil
    import signal
    import tempfile
    from pathlib import Path
    from urllib.parse import urlsplit

    platform.process.send_signal(signal.SIGINT)
    platform.process.wait(timeout=60)
    platform.reader.join(timeout=10)
    out = "".join(platform.lines)
    scratch = Path(tempfile.gettempdir()) / f"orbit-e2e-data-{urlsplit(platform.url).port}"
    shutil.rmtree(scratch, ignore_errors=True)
    return out


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    started = start_platform()
    yield started
    stop_platform(started)


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each DynamoDB request atomic, as on AWS. In-process moto is not: a TransactWriteItems deep-copies the
    tables it names while other threads write them, and a cancelled one restores that copy, undoing their
    writes. The race under test is between requests (a read, then a conditional write), so the requests
    themselves take turns here."""
    from moto.dynamodb.responses import DynamoHandler

    turn = threading.Lock()
    action = DynamoHandler.call_action

    def one_at_a_time(self: DynamoHandler) -> Any:
        with turn:
            return action(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)
    yield
