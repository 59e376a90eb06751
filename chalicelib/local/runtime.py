"""``make run``: the whole platform on one machine, on an embedded AWS (moto's server, in a child process).

Starts moto in a process of its own (``chalicelib.local.aws_server``), provisions the stage from
``infra/resources.json``, restores the data folder's last snapshot (``chalicelib.local.persistence``),
seeds the local keys, then serves the Chalice routes over HTTP, polls the queues into the SQS handlers
and ticks the schedules. ``AWS_ENDPOINT_URL`` set beforehand points it at LocalStack or AWS instead of
moto (no child, no data folder).

Stopping is ordered so nothing queued is lost: the HTTP server stops taking requests, the pollers finish
the batch in hand, then the child saves a snapshot and exits.

The embedded AWS listens on a stable port (``ORBIT_AWS_PORT``, 4600) so tools stay pointed at it across
restarts, and the runtime writes ``runtime.json`` in its data folder (its API and AWS endpoints, stage and
region; removed at a clean stop), which ``python -m chalicelib.cli --local`` reads to find it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.app import SQSEventConfig

from chalicelib.local.http_server import _decode_path_parameters, _handler_class

if TYPE_CHECKING:
    from chalicelib.local.aws_server import EmbeddedAws
    from chalicelib.local.persistence import Restored

log = logging.getLogger("orbit.local")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_KEY = "osk_local_development_secret_key"
DEFAULT_SITE_KEY = "opk_local_development_site_key"
DEFAULT_DATA_DIR = ROOT / ".orbit"
# 4600: next to LocalStack's 4566 (and its 4510-4559 and legacy 4567-4597 service ports) without taking any of
# them, so LocalStack can run beside Orbit; clear of 5000 (moto's default, macOS AirPlay), 8000-8080 (web
# servers, this API) and 9324 (ElasticMQ).
DEFAULT_AWS_PORT = 4600
DISCOVERY_FILE = "runtime.json"  # chalicelib/cli/local.py reads it
POLLER_STOP_SECONDS = 30.0  # how long stop() lets a poller finish the batch in hand


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRuntime:
    """Everything ``make run`` starts; tests start it on free ports."""

    def __init__(
        self,
        port: int = 8000,
        stage: str = "local",
        api_key: str = DEFAULT_API_KEY,
        site_key: str = DEFAULT_SITE_KEY,
        time_scale: float = 1.0,
        extra_origins: list[str] | None = None,
        data_dir: Path | str | None = None,
        fresh: bool = False,
        poll_queues: bool = True,
        autosave_seconds: float = 30.0,
        aws_port: int = 0,
    ) -> None:
        """``data_dir``: keep moto's state there between runs (None: keep nothing, as tests do);
        ``fresh``: start empty even if it holds a snapshot; ``poll_queues``: False leaves messages queued;
        ``aws_port``: the embedded AWS's port (0: any free one)."""
        self.port = port or free_port()
        self.stage = stage
        self.api_key = api_key
        self.site_key = site_key
        self.time_scale = time_scale
        self.extra_origins = extra_origins or []
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.home = self.data_dir  # where runtime.json goes (data_dir becomes None when AWS is elsewhere)
        self.aws_port = aws_port
        self.fresh = fresh
        self.poll_queues = poll_queues
        self.autosave_seconds = autosave_seconds
        self.moto: EmbeddedAws | None = None
        self.restored: Restored | None = None
        self.data_note = "not kept (no data folder)"
        self._data_lock: Any = None
        self.http: Any = None
        self.threads: list[Any] = []
        self.pollers: list[Any] = []
        self.scheduler: Any = None
        self.app: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start_aws(self) -> None:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        if os.environ.get("AWS_ENDPOINT_URL"):
            return  # LocalStack or a real account was chosen
        from chalicelib.local.aws_server import EmbeddedAws

        self.moto = EmbeddedAws(
            self.data_dir,
            os.environ["AWS_DEFAULT_REGION"],
            self.autosave_seconds,
            port=self.aws_port,
            lambda_url=self.url,
        ).start()
        os.environ["MOTO_PORT"] = str(self.moto.port)  # moto's own callbacks (Step Functions tasks) use it
        os.environ["AWS_ENDPOINT_URL"] = self.moto.url

    def _saved_state(self) -> dict[str, Any] | None:
        """The data folder's snapshot to restore (None: start empty), and the banner's line about it."""
        from chalicelib.local import persistence

        if self.data_dir is None:
            return None
        where = _shown(self.data_dir)
        if os.environ.get("AWS_ENDPOINT_URL"):
            self.data_note = f"kept by {os.environ['AWS_ENDPOINT_URL']} ({where} unused)"
            self.data_dir = None
            return None
        self._lock_data_dir()
        if self.fresh:
            previous = persistence.set_aside(self.data_dir)
            kept = f" (the previous snapshot is kept as {_shown(previous, folder=False)})" if previous else ""
            self.data_note = f"ORBIT_FRESH=1: starting empty{kept}"
            return None
        snapshot = persistence.load(self.data_dir)
        if snapshot is None:
            self.data_note = f"nothing saved in {where} yet: starting empty"
        return snapshot

    def _lock_data_dir(self) -> None:
        """One runtime per data folder: two would overwrite each other's snapshots."""
        import fcntl

        from chalicelib.local.persistence import SnapshotError

        assert self.data_dir is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = (self.data_dir / ".lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SnapshotError(
                f"another Orbit runtime is using {_shown(self.data_dir)}; stop it or set ORBIT_DATA_DIR"
            ) from None
        self._data_lock = handle

    def _restore(self, snapshot: dict[str, Any] | None) -> None:
        from chalicelib import aws
        from chalicelib.local import persistence

        if snapshot is not None and self.data_dir is not None:
            self.restored = persistence.restore(snapshot, aws.dynamodb(), aws.sqs())
            items, messages = self.restored.items, self.restored.messages
            self.data_note = (
                f"restored {items:,} items and {messages:,} queued messages from {_shown(self.data_dir)} "
                f"(saved {snapshot.get('savedAt', '?')})"
            )
        if self.moto is not None and self.data_dir is not None:
            self.moto.arm()  # from here on the child saves: periodically when something changed, and at stop
            where = _shown(self.data_dir)
            self.data_note += f"; saving to {where} every {self.autosave_seconds:g} s (if changed) and at shutdown"

    def start(self) -> LocalRuntime:
        from chalicelib import aws, deps
        from chalicelib.local.demo_catalog import seed_demo_catalog
        from chalicelib.local.provision import provision

        snapshot = self._saved_state()  # read before moto starts: AWS_ENDPOINT_URL is still the user's choice
        self._start_aws()
        deps.reset()
        os.environ.update(provision(aws.cloudformation(), self.stage))
        self._provision_task_function()
        self._restore(snapshot)
        os.environ["ORBIT_TIME_SCALE"] = str(self.time_scale)
        os.environ["ORBIT_DEMO_SITE_KEY"] = self.site_key
        # links in messages no request asked for (journeys, scheduled campaigns) point at this runtime
        os.environ.setdefault("ORBIT_PUBLIC_URL", self.url)
        deps.reset()
        self._seed_keys()
        seed_demo_catalog(deps.ports(), self.url)
        sys.path.insert(0, str(ROOT))
        self.app = importlib.import_module("app").app
        self._serve_http()
        for source in self.app.event_sources:
            if isinstance(source, SQSEventConfig) and self.poll_queues:
                from chalicelib.local.workers import SqsPoller

                poller = SqsPoller(self.app, source, aws.sqs(), os.environ["AWS_DEFAULT_REGION"])
                poller.start()
                self.pollers.append(poller)
        from chalicelib.local.workers import Scheduler

        self.scheduler = Scheduler(self.app, self.time_scale)
        self.scheduler.start()
        self._register_health()
        self._write_discovery()
        return self

    def _provision_task_function(self) -> None:
        """On the embedded AWS: the workflow task function (a placeholder whose invokes come to this process's
        HTTP server) and the settings that point workflows at it; executions start on the state machine itself."""
        if self.moto is None:
            return
        from chalicelib import aws
        from chalicelib.local import moto_lambda

        name = f"orbit-{self.stage}-workflow_task"
        role = os.environ["ORBIT_WORKFLOW_ROLE_ARN"]
        os.environ["ORBIT_WORKFLOW_TASK_ARN"] = moto_lambda.create_function(aws.client("lambda"), name, role)
        os.environ["ORBIT_WORKFLOW_START_ON"] = "machine"

    @property
    def aws_endpoint(self) -> str:
        return os.environ.get("AWS_ENDPOINT_URL", "")

    def _register_health(self) -> None:
        """Add the embedded AWS, the pollers and the scheduler to ``/health``. The runtime reaches the app's
        health registry the way it reaches the app, by import at run time: ``chalicelib.api`` and
        ``chalicelib.local`` are independent layers, and the API never imports the runtime."""
        docs = importlib.import_module("chalicelib.api.docs")
        docs.register_health("aws", self.aws_health)
        docs.register_health("pollers", self.pollers_health)
        docs.register_health("scheduler", self.scheduler_health)

    def aws_health(self) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        part: dict[str, Any] = {"endpoint": self.aws_endpoint, "embedded": self.moto is not None}
        if self.moto is not None:
            part["pid"] = self.moto.pid
            if self.moto.process is None or self.moto.process.poll() is not None:
                return {"status": "degraded", **part, "reachable": False, "error": "the embedded AWS has exited"}
        try:
            with urllib.request.urlopen(self.aws_endpoint + "/moto-api/", timeout=2):
                pass
            reachable = True
        except urllib.error.HTTPError:
            reachable = True  # it answered (LocalStack or AWS has no /moto-api/)
        except OSError as exc:
            return {"status": "degraded", **part, "reachable": False, "error": str(exc)}
        return {"status": "ok", **part, "reachable": reachable}

    def pollers_health(self) -> dict[str, Any]:
        if not self.poll_queues:
            return {"status": "ok", "polling": False}
        now = time.time()
        found = {
            poller.source.name: {
                "alive": poller.is_alive(),
                "lastPollSecondsAgo": round(now - poller.last_poll, 1) if poller.last_poll else None,
            }
            for poller in self.pollers
        }
        stopped = [name for name, entry in found.items() if not entry["alive"]]
        if stopped or not found:
            error = f"not polling: {', '.join(stopped)}" if stopped else "no poller started"
            return {"status": "degraded", "error": error, "polling": True, **found}
        return {"status": "ok", "polling": True, **found}

    def scheduler_health(self) -> dict[str, Any]:
        scheduler = self.scheduler
        alive = bool(scheduler and scheduler.is_alive())
        jobs = {source.name: period for source, period in scheduler.jobs} if scheduler else {}
        return {
            "status": "ok" if alive else "degraded",
            **({} if alive else {"error": "the scheduler is not running"}),
            "alive": alive,
            "jobs": {
                name: {"everySeconds": period, "ticks": scheduler.ticks.get(name, 0)} for name, period in jobs.items()
            },
        }

    def _write_discovery(self) -> None:
        """``runtime.json`` in the data folder: how tools (``cli --local``) find this runtime and its embedded AWS
        (none when ``AWS_ENDPOINT_URL`` chose another AWS: ``--local`` would send it the local credentials)."""
        if self.home is None or self.moto is None:
            return
        found = {
            "apiUrl": self.url,
            "awsEndpoint": self.aws_endpoint,
            "stage": self.stage,
            "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            "pid": os.getpid(),
        }
        self.home.mkdir(parents=True, exist_ok=True)
        partial = self.home / f".{DISCOVERY_FILE}.tmp"
        partial.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        partial.replace(self.home / DISCOVERY_FILE)

    def _remove_discovery(self) -> None:
        if self.home is None:
            return
        path = self.home / DISCOVERY_FILE
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()  # ours (another runtime may have taken the folder since)

    def _seed_keys(self) -> None:
        from chalicelib.auth.keys import digest
        from chalicelib.deps import ports
        from chalicelib.local.origins import local_site_origins
        from chalicelib.services.keys import create_key

        origins = local_site_origins(self.port, self.extra_origins)
        if ports().keys.key(digest(self.api_key)) is None:
            # names carry the key's digest: key names are unique per stage, and a changed ORBIT_*_KEY kept
            # with the same data folder is a second key, not a clash
            create_key(ports(), "secret", f"local secret key {digest(self.api_key)[:8]}", plaintext=self.api_key)
        site_name = f"local site key {digest(self.site_key)[:8]}"
        create_key(ports(), "site", site_name, origins=origins, plaintext=self.site_key)

    def _serve_http(self) -> None:
        from chalice.config import Config
        from chalice.local import LocalDevServer

        _decode_path_parameters()

        config = Config(chalice_stage="local", config_from_disk={})
        self.http = LocalDevServer(self.app, config, "127.0.0.1", self.port, handler_cls=_handler_class())
        thread = threading.Thread(target=self.http.server.serve_forever, name="http", daemon=True)
        thread.start()
        self.threads.append(thread)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queue is drained (tests and benchmarks use this)."""
        from chalicelib import aws

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = False
            for poller in self.pollers:
                attrs = aws.sqs().get_queue_attributes(
                    QueueUrl=poller.url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                if int(attrs["ApproximateNumberOfMessages"]) or int(attrs["ApproximateNumberOfMessagesNotVisible"]):
                    busy = True
            if not busy:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Stop taking requests, let the pollers finish the batch in hand, then stop moto (which saves)."""
        self._remove_discovery()
        if self.app is not None:
            docs = importlib.import_module("chalicelib.api.docs")
            for part in ("aws", "pollers", "scheduler"):
                docs.register_health(part, None)
        for poller in self.pollers:
            poller.stopping.set()
        if self.scheduler:
            self.scheduler.stopping.set()
        if self.http:
            self.http.server.shutdown()
            self.http.server.server_close()
            self.http = None
        for poller in self.pollers:
            poller.join(timeout=POLLER_STOP_SECONDS)
            if poller.is_alive():
                log.warning("poller %s is still busy; its batch will be delivered again", poller.name)
        if self.scheduler and self.scheduler.is_alive():
            self.scheduler.join(timeout=POLLER_STOP_SECONDS)  # a tick in progress writes before the snapshot
        if self.moto:
            self.moto.stop()
            self.moto = None
        if self._data_lock is not None:
            self._data_lock.close()  # releases the folder's lock
            self._data_lock = None


def _shown(path: Path, folder: bool = True) -> str:
    """A path as the banner shows it: relative to the working directory when under it."""
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return f"{shown}/" if folder else shown


if __name__ == "__main__":
    from chalicelib.local.startup import main

    main()
