"""Argument wiring and error handling for ``python -m chalicelib.cli``.

Expected failures (``OrbitError``: bad input, unknown key, unreachable queue) exit with code 2 and
one message on stderr, never a traceback; AWS errors the storage layer does not translate exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.cli import dlq, imports, keys, stage
from chalicelib.errors import OrbitError

Sleep = Callable[[float], None]
Command = Callable[[argparse.Namespace, Sleep], int]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Orbit operator commands.")
    root.add_argument("--profile", help="AWS profile (default: $AWS_PROFILE)")
    root.add_argument("--region", help="AWS region (default: $AWS_DEFAULT_REGION, then $AWS_REGION)")
    groups = root.add_subparsers(dest="group", required=True)
    for name, help_text, module in (
        ("keys", "create, list and revoke API keys", keys),
        ("contacts", "bulk contact imports from CSV", imports),
        ("stage", "the stage's resource names", stage),
        ("dlq", "list and redrive dead-letter queues", dlq),
    ):
        commands = groups.add_parser(name, help=help_text, description=help_text)
        module.register(commands.add_subparsers(dest="command", required=True))
    return root


def _apply_aws_options(args: argparse.Namespace) -> None:
    """Point boto3 at the chosen profile/region (the CLI is its own process, so env is the channel)."""
    changed = False
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile
        changed = True
    region = args.region or (None if os.environ.get("AWS_DEFAULT_REGION") else os.environ.get("AWS_REGION"))
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region  # botocore reads only AWS_DEFAULT_REGION
        changed = True
    if changed:
        aws.reset_clients()


def _where() -> str:
    region = os.environ.get("AWS_DEFAULT_REGION", "no region set")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return f"region {region}" + (f", endpoint {endpoint}" if endpoint else "")


def main(argv: Sequence[str] | None = None, *, sleep: Sleep = time.sleep) -> int:
    """Run one command and return its exit code; ``sleep`` is the pause between status polls."""
    args = parser().parse_args(argv)
    _apply_aws_options(args)
    run: Command = args.run
    try:
        return run(args, sleep)
    except OrbitError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for detail in exc.details:
            print(f"  {detail.path}: {detail.message}", file=sys.stderr)
        if "ResourceNotFoundException" in exc.message:
            print(f"hint: is stage {args.stage!r} deployed in this account and region? ({_where()})", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"error: AWS call failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
