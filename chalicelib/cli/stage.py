"""Which stage a command talks to: its settings, its ports, and ``stage outputs``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from chalicelib import deps
from chalicelib.ports import Ports
from chalicelib.settings import ENV_VARS, Settings, settings_from_env

# The variables that name the stage's resources (the same ones .chalice/config.json sets).
STAGE_ENV = {var: field for field, var in ENV_VARS.items() if field == "stage" or field.endswith(("_table", "_queue"))}


def add_stage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, help="Orbit stage (resources are named orbit-<stage>-*)")


def stage_settings(stage: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings for ``--stage``: resource names default to ``orbit-<stage>-*``.

    ``ORBIT_*`` overrides in the environment apply only when ``ORBIT_STAGE`` is unset or names the
    same stage, so a shell set up for one stage never points another stage's command at its tables.
    """
    env = dict(os.environ if environ is None else environ)
    if env.get("ORBIT_STAGE", stage) != stage:
        env = {k: v for k, v in env.items() if not k.startswith("ORBIT_")}
    env["ORBIT_STAGE"] = stage
    return settings_from_env(env)


def build_ports(stage: str) -> Ports:
    return deps.build(stage_settings(stage))


def register(commands: Any) -> None:
    outputs = commands.add_parser("outputs", help="print the environment variables naming the stage's resources")
    add_stage(outputs)
    outputs.set_defaults(run=_outputs)


def _outputs(args: argparse.Namespace, _sleep: object) -> int:
    settings = stage_settings(args.stage)
    values = {var: str(getattr(settings, field)) for var, field in STAGE_ENV.items()}
    for var in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        if os.environ.get(var):
            values[var] = os.environ[var]
    for var, value in values.items():
        print(f"{var}={value}")
    return 0
