"""How the ``workflows`` benchmark section (``bench.workflows_phase``) talks to ``make run``'s runtime: its HTTP
calls, clients running side by side, the server's own request times (from its request log), what reached the
sandbox outbox, and what became of journeys whose message never came."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3

from bench.sustained import Runtime

REQUEST_PREFIX = "bench-"  # the section's start requests' ids: requestId = REQUEST_PREFIX + External ID
LOGGED = re.compile(r"^\d\d:\d\d:\d\d (\S+ \S+) \d{3} (\d+)ms")
KINDS = {  # the runtime's request lines, by what they did
    "start": re.compile(r"^POST /v1/workflows/[^/]+/start$"),
    "contact": re.compile(r"^PUT /v1/contacts/"),
    "task": re.compile(r"^POST /_local/lambda/.*workflow_task$"),
}


def ok(reply: tuple[int, Any], what: str) -> Any:
    """The answer of a successful call; a RuntimeError naming the call otherwise."""
    status, answer = reply
    if status not in (200, 201, 202):
        raise RuntimeError(f"{what} answered {status}: {str(answer)[:300]}")
    return answer


def put_contact(conn: Any, external_id: str) -> None:
    body = json.dumps({"email": f"{external_id}@example.com", "firstName": "Ann"}).encode()
    ok(conn.call("PUT", f"/v1/contacts/{external_id}", body), f"PUT /v1/contacts/{external_id}")


Work = Callable[[Any, Any], None]


def concurrently(clients: int, items: list[Any], work: Work, connect: Callable[[], Any]) -> float:
    """``work(connection, item)`` over ``items`` from ``clients`` threads, each with its own connection; seconds from
    the first call to the last answer (connections are opened before the clock starts)."""
    shares = [items[i::clients] for i in range(clients)]
    connections = [connect() for _ in shares]
    errors: list[BaseException] = []
    gate = threading.Barrier(len(shares) + 1)

    def run(conn: Any, share: list[Any]) -> None:
        gate.wait()
        try:
            for item in share:
                work(conn, item)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c, s), daemon=True) for c, s in zip(connections, shares, strict=True)]
    for thread in threads:
        thread.start()
    gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    for conn in connections:
        getattr(conn, "close", lambda: None)()
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]!r}") from errors[0]
    return seconds


def sent_to(conn: Any, prefix: str) -> set[str]:
    """The contacts whose External ID starts with ``prefix`` that have a message in the outbox."""
    found: set[str] = set()
    cursor = None
    while True:
        path = "/v1/outbox?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = ok(conn.call("GET", path), "GET /v1/outbox")
        found |= {str(i["externalId"]) for i in page["items"] if str(i.get("externalId") or "").startswith(prefix)}
        cursor = page.get("cursor")
        if not cursor:
            return found


def unsent(conn: Any, endpoint: str, workflow_id: str, missing: set[str]) -> list[str]:
    """What became of the journeys whose message never came: Orbit's journey status (``not listed``: no journey
    in ``GET /v1/workflows/{id}/executions``) and the embedded Step Functions' execution status (``no execution``),
    counted (``"running / RUNNING: 2"``). The executions are named as ``journeys.start`` names them."""
    from chalicelib.contacts import keys
    from chalicelib.workflows.journeys import execution_name

    names = {execution_name(workflow_id, keys.known(e), f"api:{REQUEST_PREFIX}{e}") for e in missing}
    journeys: dict[str, str] = {}  # execution name -> Orbit's status
    cursor = None
    while True:
        path = f"/v1/workflows/{workflow_id}/executions?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = ok(conn.call("GET", path), "GET executions")
        journeys |= {i["execution"]: i["status"] for i in page["items"] if i["execution"] in names}
        cursor = page.get("nextCursor")
        if not cursor:
            break
    machines: dict[str, str] = {}  # execution name -> Step Functions' status
    sfn = sfn_client(endpoint)
    for machine in sfn.list_state_machines()["stateMachines"]:
        if workflow_id in machine["name"]:
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"]):
                machines |= {e["name"]: e["status"] for e in page["executions"] if e["name"] in names}
    counted: dict[str, int] = {}
    for name in names:
        key = f"{journeys.get(name, 'not listed')} / {machines.get(name, 'no execution')}"
        counted[key] = counted.get(key, 0) + 1
    direct = sum(1 for e in missing if ok(conn.call("GET", f"/v1/outbox?externalId={e}&limit=5"), "outbox")["items"])
    return [f"{k}: {n}" for k, n in sorted(counted.items())] + [f"in the outbox when asked by externalId: {direct}"]


def sfn_client(endpoint: str) -> Any:
    """A client of the runtime's embedded Step Functions (moto accepts any credentials)."""
    return boto3.session.Session().client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class TimedRuntime(Runtime):
    """``make run``'s runtime, also keeping the server's own duration of the requests it logs
    (``HH:MM:SS POST /v1/workflows/<id>/start 202 124ms``), by kind (``KINDS``)."""

    durations: dict[str, list[float]]

    def _read(self) -> None:
        self.durations = {kind: [] for kind in KINDS}
        source = self.process.stdout
        assert source is not None

        def noted() -> Iterator[str]:
            for line in source:
                found = LOGGED.search(line)
                if found:
                    for kind, pattern in KINDS.items():
                        if pattern.search(found.group(1)):
                            self.durations[kind].append(float(found.group(2)) / 1000)
                yield line

        self.process.stdout = noted()  # type: ignore[assignment]
        super()._read()
