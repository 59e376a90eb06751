"""``--local``: find the running ``make run`` by itself and point the command at its embedded AWS.

The runtime writes ``runtime.json`` in its data folder (``ORBIT_DATA_DIR``, else ``.orbit/`` at the
repository's root) while it runs: its API URL, AWS endpoint, stage and region, and its pid. ``--local`` reads
it, sets ``AWS_ENDPOINT_URL``, the local credentials and the region for the command, and makes ``--stage``
default to the runtime's stage.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.errors import OrbitError

FLAG = "--local"
DISCOVERY_FILE = "runtime.json"  # written by chalicelib/local/runtime.py
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REGION = "us-east-1"


def local_argv(argv: Sequence[str]) -> tuple[list[str], bool]:
    """``argv`` with ``--local`` moved before the group (it may be typed anywhere) and, when it was given and no
    ``--stage`` was, ``--stage local`` added; and whether it was given."""
    rest = [arg for arg in argv if arg != FLAG]
    if len(rest) == len(argv):
        return list(argv), False
    if not any(arg == "--stage" or arg.startswith("--stage=") for arg in rest) and not _asks_help(rest):
        rest += ["--stage", "local"]
    return [FLAG, *rest], True


def _asks_help(argv: Sequence[str]) -> bool:
    return any(arg in ("-h", "--help") for arg in argv)


def data_dir(environ: MutableMapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("ORBIT_DATA_DIR") or ROOT / ".orbit")


def find_runtime(environ: MutableMapping[str, str] | None = None) -> dict[str, Any]:
    """The running runtime's ``runtime.json``; OrbitError (exit 2) when there is none or it is stale."""
    path = data_dir(environ) / DISCOVERY_FILE
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OrbitError(
            f"no local runtime found ({path} is missing): start one with `make run`, "
            "or set ORBIT_DATA_DIR to the data folder of the one running"
        ) from None
    except (OSError, ValueError) as exc:
        raise OrbitError(f"cannot read {path}: {exc}") from None
    pid = found.get("pid")
    if isinstance(pid, int) and not _alive(pid):
        raise OrbitError(f"the local runtime that wrote {path} (pid {pid}) is gone: start one with `make run`")
    if not found.get("awsEndpoint"):
        raise OrbitError(f"{path} names no AWS endpoint")
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def use_runtime(region: str | None = None, environ: MutableMapping[str, str] | None = None) -> dict[str, Any]:
    """Point this process's AWS calls at the running runtime (its endpoint, local credentials, its region unless
    ``region`` was chosen); returns what ``runtime.json`` says."""
    env = os.environ if environ is None else environ
    found = find_runtime(env)
    env["AWS_ENDPOINT_URL"] = str(found["awsEndpoint"])
    env["AWS_ACCESS_KEY_ID"] = "local"
    env["AWS_SECRET_ACCESS_KEY"] = "local"
    env["AWS_DEFAULT_REGION"] = region or str(found.get("region") or DEFAULT_REGION)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(var, None)  # a profile or session token meant for a real account
    return found
