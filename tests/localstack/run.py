"""``make localstack-test``: start LocalStack host-side from ``.venv-localstack`` on 127.0.0.1:4566 (no Docker, no
account), wait for its health endpoint, run the ``localstack`` tests against it, stop it. A LocalStack already
answering there is used as it is and left running. Its log goes to ``build/localstack.log``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-localstack" / "bin" / "python"
LISTEN = "127.0.0.1:4566"
HEALTH = f"http://{LISTEN}/_localstack/health"
ENVIRONMENT = {
    "GATEWAY_SERVER": "hypercorn",
    "GATEWAY_LISTEN": LISTEN,
    "LOCALSTACK_HOST": LISTEN,  # the URLs it hands out (queue URLs) name the loopback address, not a DNS name
    "SQS_ENDPOINT_STRATEGY": "path",
    "DISABLE_EVENTS": "1",  # no usage analytics: offline, posting them at shutdown hangs it
}
STARTUP_SECONDS = 120


def healthy() -> bool:
    try:
        with urllib.request.urlopen(HEALTH, timeout=2) as answer:
            return bool(json.load(answer).get("services"))
    except (OSError, ValueError):
        return False


def start(log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(PYTHON), "-m", "localstack.runtime.main"],
            env=os.environ | ENVIRONMENT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped whole
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while not healthy():
        if server.poll() is not None or time.monotonic() > deadline:
            stop(server)
            sys.exit(f"LocalStack did not start on {LISTEN}; see {log_path}")
        time.sleep(0.5)
    return server


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group, SIGKILL if it has not exited within the grace period."""
    began = time.monotonic()
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    print(f"LocalStack stopped in {time.monotonic() - began:.1f} s", file=sys.stderr)


def main(argv: list[str]) -> int:
    if not PYTHON.exists():
        sys.exit(f"{PYTHON} is missing: `make localstack-test` installs it")
    server = None if healthy() else start(ROOT / "build" / "localstack.log")
    try:
        tests = [sys.executable, "-m", "pytest", "-m", "localstack", "tests/localstack/", *argv]
        return subprocess.call(tests, cwd=ROOT, env=os.environ | {"ORBIT_LOCALSTACK_URL": f"http://{LISTEN}"})
    finally:
        if server is not None:
            stop(server)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
