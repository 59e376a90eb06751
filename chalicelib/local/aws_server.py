"""The embedded AWS in a process of its own: moto's server, its SQS and DynamoDB adjusted, snapshots of its state.

``make run`` starts it as a child (:class:`EmbeddedAws`)::

    python -m chalicelib.local.aws_server --port N --parent-pid P [--data-dir D] [--region R]

Why a process: moto answers every API call in Python. In the runtime's own process it shared one core
(the GIL) with the HTTP API, the queue pollers and the consumer; in a child each has a core of its own.

The child runs ``moto.server.ThreadedMotoServer`` with ``MOTO_PORT`` set to its port (moto's Step Functions
calls back to itself through it), executing state machines for real with their Lambda invokes posted to the
runtime (:func:`run_state_machines`, :mod:`chalicelib.local.moto_lambda`), and three adjustments installed,
each version-guarded (an unexpected moto is left alone, with a warning):

* :func:`chalicelib.local.moto_sqs.apply`: SQS calls cost the same whatever the queue's depth;
* :func:`chalicelib.local.moto_dynamodb.apply`: a Query costs what it may return (the items under one hash
  key value, on the table or an index), not a pass over the whole table;
* :func:`chalicelib.local.moto_transactions.apply`: each DynamoDB write request is atomic (one write lock),
  and a TransactWriteItems rolls back from an undo log of the items it wrote, not from copies of whole
  tables (it costs what it writes).

Tests that use moto in their own process (``mock_aws``) get none of them and test moto as it is, except
``tests/unit/test_moto_sqs.py``, ``tests/unit/test_moto_dynamodb.py`` and
``tests/unit/test_moto_transactions.py``, which apply and revert them; the benchmarks run the local runtime,
so they get all three.

A daemon thread (:func:`chalicelib.local.moto_metrics.start`) puts each queue's
``ApproximateAgeOfOldestMessage`` into moto's CloudWatch every 10 s, as SQS does on AWS, for the queue
status to read (straight into moto's backend: it is no API call, and never part of a snapshot).

With a data folder the child also owns the snapshots (:mod:`chalicelib.local.persistence`): it reads moto's
backends directly and writes ``snapshot.json`` atomically

* every ``--autosave-seconds`` (30) when an API call that can change state arrived since the last save
  (told apart by the action's name: ``Get*``, ``List*``, ``Describe*``, ``Query``, ``Scan``,
  ``ReceiveMessage``... change nothing worth keeping; anything else counts),
* when it stops: on ``stop`` from the runtime, on SIGTERM or SIGINT, and when its parent is gone (stdin
  closed without ``stop``, or the parent pid changed: no orphaned server).

Commands come on stdin, one a line, in order: ``arm`` (the runtime restored the previous snapshot; it
saves nothing before, so a start that fails half-way never overwrites good data with a half-restored
state), ``save`` (now), ``stop`` (save, then exit). :meth:`EmbeddedAws.stop` sends ``stop``, then SIGTERM,
then SIGKILL, each after a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("orbit.aws")
ROOT = Path(__file__).resolve().parents[2]

READ_ONLY_ACTIONS = ("Get", "List", "Describe", "BatchGet", "Query", "Scan", "ReceiveMessage", "TransactGet")
DEFAULT_ACCOUNT = "123456789012"  # moto's account for any access key it does not know (MOTO_ACCOUNT_ID moves it)


class ChangeTracker:
    """WSGI middleware: notes that a call which may change moto's state was answered."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.changed = threading.Event()
        self.changed.set()  # a fresh server is not yet on disk

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.app(environ, start_response)
        if self.changes(environ):
            self.changed.set()  # after the call: a snapshot taken since then may have missed it
        return response

    @staticmethod
    def changes(environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
            return False
        target = environ.get("HTTP_X_AMZ_TARGET", "")  # JSON protocols: "DynamoDB_20120810.PutItem"
        if target:
            action = target.rpartition(".")[2]
        else:  # query protocol: Action= in the query string, or in a form body (not read here)
            from urllib.parse import parse_qs

            action = parse_qs(environ.get("QUERY_STRING", "")).get("Action", [""])[0]
        return not action or not action.startswith(READ_ONLY_ACTIONS)


def _moto_server(host: str, port: int) -> Any:
    """``ThreadedMotoServer`` whose app is wrapped in a :class:`ChangeTracker`, and which reports a port
    it cannot bind instead of waiting forever for it."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class Server(ThreadedMotoServer):
        tracker: ChangeTracker
        error: BaseException | None = None

        def _server_entry(self) -> None:
            try:
                self.tracker = ChangeTracker(DomainDispatcherApplication(create_backend_app))
                self._server = make_server(
                    self._ip_address, self._port, self.tracker, True, request_handler=MotoRequestHandler
                )
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self.error = exc
                self._server_ready_event.set()
                return
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address=host, port=port, verbose=False)


class Snapshots:
    """Saves moto's state into the data folder when armed (thread-safe; one save at a time)."""

    def __init__(self, data_dir: Path | None, region: str, tracker: ChangeTracker) -> None:
        self.data_dir = data_dir
        self.region = region
        self.tracker = tracker
        self.armed = threading.Event()
        self._lock = threading.Lock()

    def save(self, reason: str, only_if_changed: bool = True) -> bool:
        from chalicelib.local import persistence

        if self.data_dir is None or not self.armed.is_set():
            return False
        with self._lock:
            if only_if_changed and not self.tracker.changed.is_set():
                return False
            self.tracker.changed.clear()
            try:
                snapshot = persistence.capture(os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT, self.region)
                path = persistence.save(self.data_dir, snapshot)
            except Exception:
                self.tracker.changed.set()
                log.exception("could not save a snapshot into %s", self.data_dir)
                return False
        items, messages = persistence.summary(snapshot)
        level = logging.DEBUG if reason == "periodic" else logging.INFO
        log.log(level, "saved %s items and %s queued messages to %s (%s)", f"{items:,}", f"{messages:,}", path, reason)
        return True


def _read_commands(snapshots: Snapshots, stopping: threading.Event, why: list[str]) -> None:
    """The parent's commands on stdin, in order; end of input without ``stop`` means the parent is gone."""
    for line in sys.stdin:
        command = line.strip()
        if command == "arm":
            snapshots.armed.set()
        elif command == "save":
            snapshots.save("asked", only_if_changed=False)
        elif command == "stop":
            why.append("stopped by the runtime")
            break
        elif command:
            log.warning("unknown command %r", command)
    else:
        why.append("the runtime is gone")
    stopping.set()


def run_state_machines(lambda_url: str | None) -> None:
    """Step Functions executions run for real, and Lambda invokes (their tasks) go to the runtime's
    ``POST /_local/lambda/<function>`` at ``lambda_url`` (none: moto's simple Lambda echoes the payload)."""
    from moto.core.config import default_user_config

    from chalicelib.local import moto_lambda

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    if lambda_url:
        moto_lambda.forward(lambda_url)


def serve(args: argparse.Namespace) -> int:
    from chalicelib.local import moto_dynamodb, moto_metrics, moto_sqs, moto_transactions

    os.environ["MOTO_PORT"] = str(args.port)  # moto's own callbacks (Step Functions tasks) use it
    run_state_machines(args.lambda_url)
    moto_sqs.apply()
    moto_dynamodb.apply()
    moto_transactions.apply()
    server = _moto_server(args.host, args.port)
    server.start()
    if server.error is not None:
        log.error("cannot serve on %s:%s: %s", args.host, args.port, server.error)
        return 3
    data_dir = Path(args.data_dir) if args.data_dir else None
    snapshots = Snapshots(data_dir, args.region, server.tracker)
    stopping = threading.Event()
    why: list[str] = []
    moto_metrics.start(stopping)

    def on_signal(signum: int, _frame: Any) -> None:
        why.append(f"{signal.Signals(signum).name}")
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    threading.Thread(target=_read_commands, args=(snapshots, stopping, why), name="commands", daemon=True).start()
    next_save = time.monotonic() + args.autosave_seconds
    while not stopping.wait(0.5):
        if os.getppid() != args.parent_pid:
            why.append("the runtime is gone")
            stopping.set()
        elif time.monotonic() >= next_save:
            snapshots.save("periodic")
            next_save = time.monotonic() + args.autosave_seconds
    snapshots.save(why[0] if why else "stopped")
    server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--parent-pid", type=int, required=True, help="stop when this process is gone")
    parser.add_argument("--data-dir", help="keep snapshots here (none: keep nothing)")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--autosave-seconds", type=float, default=30.0)
    parser.add_argument("--lambda-url", help="the runtime's HTTP server, which answers Lambda invokes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto request otherwise
    return serve(args)


# --- the parent's side -------------------------------------------------------------------------------------


class EmbeddedAws:
    """The child process, seen from the runtime: start it, wait until it answers, arm it, stop it."""

    def __init__(
        self,
        data_dir: Path | None = None,
        region: str = "us-east-1",
        autosave_seconds: float = 30.0,
        port: int = 0,
        lambda_url: str | None = None,
    ) -> None:
        """``port``: serve there (``make run``: ``ORBIT_AWS_PORT``), or 0 for any free one (tests); ``lambda_url``:
        the runtime's HTTP server, which runs the app's Lambda functions when Step Functions invokes them."""
        self.lambda_url = lambda_url
        self.data_dir = data_dir
        self.region = region
        self.autosave_seconds = autosave_seconds
        self.fixed_port = port
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, timeout: float = 60.0, attempts: int = 3) -> EmbeddedAws:
        from chalicelib.local.runtime import free_port

        if self.fixed_port:
            attempts = 1  # a chosen port is kept: tools were pointed at it
        for attempt in range(attempts):
            self.port = self.fixed_port or free_port()
            command = [sys.executable, "-m", "chalicelib.local.aws_server", "--port", str(self.port)]
            command += ["--parent-pid", str(os.getpid()), "--region", self.region]
            command += ["--autosave-seconds", str(self.autosave_seconds)]
            if self.data_dir is not None:
                command += ["--data-dir", str(self.data_dir)]
            if self.lambda_url:
                command += ["--lambda-url", self.lambda_url]
            env = {**os.environ, "MOTO_PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
            env.pop("AWS_ENDPOINT_URL", None)
            self.process = subprocess.Popen(  # its own session: a terminal's Ctrl-C reaches only the runtime,
                command,
                stdin=subprocess.PIPE,
                env=env,
                start_new_session=True,  # which stops it in order
            )
            if self._wait_until_answering(timeout):
                return self
            code = self.process.poll()
            if code is None:
                self.stop(timeout=5)
                raise RuntimeError(f"the embedded AWS did not answer on port {self.port} within {timeout:.0f} s")
            if attempt + 1 == attempts:
                hint = " (in use? set ORBIT_AWS_PORT)" if self.fixed_port else ""
                raise RuntimeError(f"the embedded AWS exited with code {code} (port {self.port}){hint}")
            log.warning("the embedded AWS could not start on port %s (exit %s); trying another", self.port, code)
        raise AssertionError("unreachable")

    def _wait_until_answering(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                return True
            except OSError:
                time.sleep(0.05)
            finally:
                conn.close()
        return False

    def _command(self, command: str) -> None:
        if self.process is None or self.process.stdin is None or self.process.poll() is not None:
            return
        try:
            self.process.stdin.write(f"{command}\n".encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def arm(self) -> None:
        """Let it save snapshots from now on (the runtime restored what there was to restore)."""
        self._command("arm")

    def save(self) -> None:
        """Ask for a snapshot now (asynchronous)."""
        self._command("save")

    def stop(self, timeout: float = 30.0) -> int | None:
        """Ask it to stop (it saves, then exits): ``stop`` on stdin, after any command sent before it; then
        SIGTERM, then SIGKILL, each after ``timeout``. Returns its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                process.stdin.write(b"stop\n")
                process.stdin.flush()
            with contextlib.suppress(OSError, ValueError):
                process.stdin.close()
        for ask in (None, process.terminate, process.kill):
            if ask is not None and process.poll() is None:
                log.warning("the embedded AWS did not stop within %.0f s; sending %s", timeout, ask.__name__)
                ask()
            try:
                process.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        return process.returncode


if __name__ == "__main__":
    sys.exit(main())
