"""``make run``'s entry point: settings from the environment, ports checked before anything starts, the
banner, and an orderly stop on Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

from chalicelib.local.runtime import (
    DEFAULT_API_KEY,
    DEFAULT_AWS_PORT,
    DEFAULT_DATA_DIR,
    DEFAULT_SITE_KEY,
    LocalRuntime,
    free_port,
)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


def port_in_use(port: int) -> bool:
    """Whether something listens on (or holds) 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT left by the last run is fine
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _port_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        port = int(raw) if raw else default
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        _refuse(f"{name}={raw!r} is not a port number (1-65535)")
    return port


def _refuse(message: str) -> None:
    print(f"Cannot start: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def _check_ports(port: int, aws_port: int | None) -> None:
    """Refuse at once, in one line, when a port is taken (before seconds of set-up, not after)."""
    taken = {port, aws_port}
    if port_in_use(port):
        _refuse(
            f"port {port} is in use (another Orbit runtime?); "
            f"set PORT to a free one, e.g. PORT={_free_after(port, taken)} make run"
        )
    if aws_port is not None and port_in_use(aws_port):
        _refuse(
            f"port {aws_port} for the embedded AWS is in use (another Orbit runtime?); "
            f"set ORBIT_AWS_PORT to a free one, e.g. ORBIT_AWS_PORT={_free_after(aws_port, taken)} make run"
        )


def _free_after(port: int, avoid: set[int | None]) -> int:
    """A free port just above ``port`` (none of ``avoid``) to suggest."""
    for candidate in range(port + 1, min(port + 50, 65536)):
        if candidate not in avoid and not port_in_use(candidate):
            return candidate
    return free_port()


def _aws_lines(runtime: LocalRuntime) -> list[str]:
    endpoint = runtime.aws_endpoint
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return [
        "  point tools at it (paste in another shell):",
        f"    export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local "
        f"AWS_DEFAULT_REGION={region}",
        "    aws sqs list-queues      # or: .venv/bin/python -m chalicelib.cli --local queues status",
    ]


def main() -> None:
    from chalicelib import logs

    if os.environ.get(logs.FORMAT_VARIABLE, "").strip().lower() != "json":
        os.environ[logs.FORMAT_VARIABLE] = "text"  # for a person at a terminal, unless ORBIT_LOG_FORMAT=json
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials in environment variables"
    logs.configure()
    from chalicelib.local.origins import VARIABLE, describe, local_site_origins, site_origins
    from chalicelib.local.persistence import SnapshotError

    try:
        extra_origins = site_origins(os.environ.get(VARIABLE))
    except ValueError as exc:
        sys.exit(f"Cannot start: {exc}")
    port = _port_setting("PORT", 8000)
    embedded = not os.environ.get("AWS_ENDPOINT_URL")
    aws_port = _port_setting("ORBIT_AWS_PORT", DEFAULT_AWS_PORT)
    _check_ports(port, aws_port if embedded else None)
    runtime = LocalRuntime(
        port=port,
        api_key=os.environ.get("ORBIT_API_KEY") or DEFAULT_API_KEY,
        site_key=os.environ.get("ORBIT_SITE_KEY") or DEFAULT_SITE_KEY,
        time_scale=float(os.environ.get("ORBIT_TIME_SCALE", "1") or 1),
        data_dir=os.environ.get("ORBIT_DATA_DIR") or DEFAULT_DATA_DIR,
        fresh=_flag("ORBIT_FRESH"),
        poll_queues=_flag("ORBIT_POLLERS", default=True),
        extra_origins=extra_origins,
        aws_port=aws_port,
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
    print(f"Orbit local runtime on {runtime.url} (embedded AWS at {runtime.aws_endpoint}{moto})")
    print(f"  data           : {runtime.data_note}")
    if not runtime.poll_queues:
        print("  queues         : not polled (ORBIT_POLLERS=0); messages stay queued")
    print(f"  secret API key : {runtime.api_key}")
    print(f"  site key       : {runtime.site_key}")
    print(f"  site origins   : {describe(local_site_origins(runtime.port, runtime.extra_origins))}")
    print(f"  API docs       : {runtime.url}/docs     demo shop: {runtime.url}/demo/     health: {runtime.url}/health")
    for line in _aws_lines(runtime):
        print(line)
    print(f"Orbit is ready on {runtime.url}", flush=True)
    stop.wait()
    print("Shutting down...", flush=True)
    runtime.stop()
    print("Stopped.", flush=True)
