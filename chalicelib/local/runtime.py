"""``make run``: the whole platform on one machine, on an embedded AWS (moto's server, in a child process).

Starts moto in a process of its own (``chalicelib.local.aws_server``), provisions the stage from
``infra/resources.json``, restores the data folder's last snapshot (``chalicelib.local.persistence``),
seeds the local keys, then serves the Chalice routes over HTTP, polls the queues into the SQS handlers
and ticks the schedules. ``AWS_ENDPOINT_URL`` set beforehand points it at LocalStack or AWS instead of
moto (no child, no data folder).

Stopping is ordered so nothing queued is lost: the HTTP server stops taking requests, the pollers finish
the batch in hand, then the child saves a snapshot and exits.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.app import SQSEventConfig

if TYPE_CHECKING:
    from chalicelib.local.aws_server import EmbeddedAws
    from chalicelib.local.persistence import Restored

log = logging.getLogger("orbit.local")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_KEY = "osk_local_development_secret_key"
DEFAULT_SITE_KEY = "opk_local_development_site_key"
DEFAULT_DATA_DIR = ROOT / ".orbit"
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
    ) -> None:
        """``data_dir``: keep moto's state there between runs (None: keep nothing, as tests do);
        ``fresh``: start empty even if it holds a snapshot; ``poll_queues``: False leaves messages queued."""
        self.port = port or free_port()
        self.stage = stage
        self.api_key = api_key
        self.site_key = site_key
        self.time_scale = time_scale
        self.extra_origins = extra_origins or []
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
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

        self.moto = EmbeddedAws(self.data_dir, os.environ["AWS_DEFAULT_REGION"], self.autosave_seconds).start()
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
        self._restore(snapshot)
        os.environ["ORBIT_TIME_SCALE"] = str(self.time_scale)
        os.environ["ORBIT_DEMO_SITE_KEY"] = self.site_key
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
        return self

    def _seed_keys(self) -> None:
        from chalicelib.auth.keys import digest
        from chalicelib.deps import ports
        from chalicelib.local.origins import local_site_origins
        from chalicelib.services.keys import create_key

        origins = local_site_origins(self.port, self.extra_origins)
        if ports().keys.key(digest(self.api_key)) is None:
            create_key(ports(), "secret", "local secret key", plaintext=self.api_key)
        create_key(ports(), "site", "local site key", origins=origins, plaintext=self.site_key)

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


def _handler_class() -> Any:
    """Chalice's local request handler, answering every error in Orbit's error shape.

    * An unknown route is a 404 ``not_found``. (API Gateway's own answer is a 403 "Missing
      Authentication Token"; the packaged template maps it to the same 404 with a gateway response.)
    * Any HTTP method goes to the app, which answers 405 ``method_not_allowed`` with ``Allow`` for
      one the path does not serve. http.server dispatches a request to ``do_<METHOD>`` and answers
      501 with an HTML page when there is none; Chalice's handler defines only the seven methods API
      Gateway routes, so TRACE, CONNECT or an invented verb would get that page.
    * http.server's own refusals (a header line over 64 KB, a malformed request line) use the shape too.
    """
    import json
    from http import HTTPStatus

    from chalice.local import ChaliceRequestHandler, LocalGatewayException

    class Handler(ChaliceRequestHandler):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):  # a method Chalice's handler has no do_<METHOD> for
                return self._generic_handle
            raise AttributeError(name)

        def _send_error_response(self, error: LocalGatewayException) -> None:
            raw = error.body or b""
            if error.CODE == 403 and (b"Missing Authentication Token" in raw or b"Credential" in raw):
                body = {"error": {"code": "not_found", "message": f"No route for {self.path}", "details": []}}
                self._send_http_response(404, {"Content-Type": "application/json"}, json.dumps(body))
                return
            super()._send_error_response(error)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """http.server's own error replies, in the error shape instead of an HTML page."""
            self.log_error("code %d, message %s", code, message)
            phrase = HTTPStatus(code).phrase
            error_code = "invalid_input" if code == 400 else HTTPStatus(code).name.lower()
            shaped = {"error": {"code": error_code, "message": message or phrase, "details": []}}
            body = json.dumps(shaped).encode()
            self.send_response(code, phrase)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True  # the request was not read to its end

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug(format, *args)

    return Handler


def _decode_path_parameters() -> None:
    """API Gateway URL-decodes path parameters; chalice's local gateway passes them raw. Match it."""
    from urllib.parse import unquote

    from chalice import local as chalice_local

    base = chalice_local.RouteMatcher
    if getattr(base, "decodes", False):
        return

    class DecodingRouteMatcher(base):  # type: ignore[misc, valid-type]
        decodes = True

        def match_route(self, url: str) -> Any:
            found = super().match_route(url)
            captured = {name: unquote(value) for name, value in found.captured.items()}
            return chalice_local.MatchResult(found.route, captured, found.query_params)

    chalice_local.RouteMatcher = DecodingRouteMatcher  # type: ignore[misc]


def _shown(path: Path, folder: bool = True) -> str:
    """A path as the banner shows it: relative to the working directory when under it."""
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return f"{shown}/" if folder else shown


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from chalicelib.local.origins import VARIABLE, describe, local_site_origins, site_origins
    from chalicelib.local.persistence import SnapshotError

    try:
        extra_origins = site_origins(os.environ.get(VARIABLE))
    except ValueError as exc:
        sys.exit(f"Cannot start: {exc}")
    runtime = LocalRuntime(
        port=int(os.environ.get("PORT", "8000")),
        api_key=os.environ.get("ORBIT_API_KEY") or DEFAULT_API_KEY,
        site_key=os.environ.get("ORBIT_SITE_KEY") or DEFAULT_SITE_KEY,
        time_scale=float(os.environ.get("ORBIT_TIME_SCALE", "1") or 1),
        data_dir=os.environ.get("ORBIT_DATA_DIR") or DEFAULT_DATA_DIR,
        fresh=_flag("ORBIT_FRESH"),
        poll_queues=_flag("ORBIT_POLLERS", default=True),
        extra_origins=extra_origins,
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runtime.start()
    except SnapshotError as exc:
        runtime.stop()
        sys.exit(f"Cannot start: {exc}")
    except BaseException:
        runtime.stop()
        raise
    moto = f" (moto, pid {runtime.moto.pid})" if runtime.moto else ""
    print(f"Orbit local runtime on {runtime.url} (embedded AWS at {os.environ['AWS_ENDPOINT_URL']}{moto})")
    print(f"  data           : {runtime.data_note}")
    if not runtime.poll_queues:
        print("  queues         : not polled (ORBIT_POLLERS=0); messages stay queued")
    print(f"  secret API key : {runtime.api_key}")
    print(f"  site key       : {runtime.site_key}")
    print(f"  site origins   : {describe(local_site_origins(runtime.port, runtime.extra_origins))}")
    print(f"  API docs       : {runtime.url}/docs     demo shop: {runtime.url}/demo/")
    print(f"Orbit is ready on {runtime.url}", flush=True)
    stop.wait()
    print("Shutting down...", flush=True)
    runtime.stop()
    print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
