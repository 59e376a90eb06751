"""Cold start (owns bench/cold_start.py): how long ``import app`` takes in a fresh interpreter, against a bare
``import chalice, boto3, pydantic`` measured in the same run. Every Lambda cold start pays the former.

Each sample is one fresh ``python -c`` subprocess, wall clock from spawn to exit (interpreter start-up
included, as a cold start pays it); the variants take turns run by run, so load on the machine falls on all of
them alike. Goal: ``import app`` under 1.5x the bare import.

Usage: python -m bench.cold_start [RUNS]   (prints the figures as JSON; BENCH_QUICK=1 runs fewer samples;
exits 1 when over the goal). ``make bench`` writes the section of docs/benchmarks.md (``bench.report``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.common import ROOT, median
from bench.config import COLD_START_RUNS, QUICK_COLD_START_RUNS, quick

GOAL = 1.5
APP = "import app"
BARE = "import chalice, boto3, pydantic"
# What a function pays before its first AWS call: app, then boto3 (imported on first use by chalicelib.deps).
APP_AND_BOTO3 = "import app, boto3"
EMPTY = "pass"
VARIANTS = (APP, BARE, APP_AND_BOTO3, EMPTY)


@dataclass
class ColdStart:
    runs: int
    samples: dict[str, list[float]] = field(default_factory=dict)
    heaviest: list[tuple[str, float]] = field(default_factory=list)  # (package, ms) of what only app loads

    def median(self, code: str) -> float:
        return median(self.samples[code])

    def p90(self, code: str) -> float:
        values = sorted(self.samples[code])
        return values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]

    @property
    def ratio(self) -> float:
        return self.median(APP) / self.median(BARE)

    @property
    def within_goal(self) -> bool:
        return self.ratio < GOAL


def runs_from_env() -> int:
    return QUICK_COLD_START_RUNS if quick() else int(os.environ.get("BENCH_COLD_START_RUNS") or COLD_START_RUNS)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once by the warm-up, as a deployed package would be
    return env


def _once(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"python -c {code!r} failed:\n{done.stderr}")
    return seconds


def _importtime(code: str, env: dict[str, str]) -> dict[str, float]:
    """Self import time (ms) of every module ``code`` loads (``python -X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    times: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|", 2)
        times[name.strip()] = int(own) / 1000
    return times


def _group(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "chalicelib" else parts[0]


def heaviest_added(env: dict[str, str], count: int = 8) -> list[tuple[str, float]]:
    """Where the time ``import app`` adds to the bare import goes: the self time of the modules only the app
    loads, summed per package (per subpackage of chalicelib), heaviest first. Module bodies include the
    pydantic models they define."""
    bare, app = _importtime(BARE, env), _importtime(APP, env)
    groups: dict[str, float] = {}
    for module, ms in app.items():
        if module not in bare:
            groups[_group(module)] = groups.get(_group(module), 0.0) + ms
    return sorted(groups.items(), key=lambda item: -item[1])[:count]


def measure(runs: int | None = None) -> ColdStart:
    runs = runs or runs_from_env()
    env = _env()
    result = ColdStart(runs=runs, samples={code: [] for code in VARIANTS})
    for code in VARIANTS:  # warm-up: writes the bytecode caches, fills the OS page cache
        _once(code, env)
    for i in range(runs):
        order = VARIANTS if i % 2 == 0 else tuple(reversed(VARIANTS))
        for code in order:
            result.samples[code].append(_once(code, env))
    result.heaviest = heaviest_added(env)
    return result


def summary(result: ColdStart) -> str:
    return (
        f"Cold start: import app {result.median(APP) * 1000:.0f} ms (p90 {result.p90(APP) * 1000:.0f}) vs bare "
        f"{result.median(BARE) * 1000:.0f} ms (p90 {result.p90(BARE) * 1000:.0f}): {result.ratio:.2f}x "
        f"(goal < {GOAL}x); app then boto3 {result.median(APP_AND_BOTO3) * 1000:.0f} ms"
    )


def main(argv: list[str]) -> int:
    result = measure(int(argv[0]) if argv else None)
    print(
        json.dumps(
            {
                "runs": result.runs,
                "median_ms": {code: round(result.median(code) * 1000, 1) for code in VARIANTS},
                "p90_ms": {code: round(result.p90(code) * 1000, 1) for code in VARIANTS},
                "ratio": round(result.ratio, 3),
                "goal": GOAL,
                "heaviest_added_ms": dict(result.heaviest),
            }
        )
    )
    return 0 if result.within_goal else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
