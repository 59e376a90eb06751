"""Argument wiring and error handling for ``python -m chalicelib.cli``.

Every failure is one message on stderr, never a traceback. Exit codes (docs/operators.md):

* 2: the command cannot work as given, and running it again unchanged will not help: bad usage or input
  (``OrbitError``), a stage that is not there (a missing table or queue), no region or no credentials;
* 1: the command ran and something failed: rows of an import, or an AWS call (unreachable, throttled,
  refused), whether the storage layer translated it (``Retryable``) or not; running it again may succeed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from chalicelib import aws
from chalicelib.cli import dlq, export, imports, keys, local, queues, segments, stage
from chalicelib.errors import OrbitError, Retryable

Sleep = Callable[[float], None]
Command = Callable[[argparse.Namespace, Sleep], int]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Orbit operator commands.")
    root.add_argument("--profile", help="AWS profile (default: $AWS_PROFILE)")
    root.add_argument("--region", help="AWS region (default: $AWS_DEFAULT_REGION, then $AWS_REGION)")
    root.add_argument(
        "--local",
        action="store_true",
        help="talk to the running `make run` (found through its data folder's runtime.json); --stage defaults to local",
    )
    groups = root.add_subparsers(dest="group", required=True)
    for name, help_text, module in (
        ("keys", "create, list and revoke API keys", keys),
        ("contacts", "bulk contact imports from CSV", imports),
        ("stage", "the stage's resource names", stage),
        ("dlq", "list and redrive dead-letter queues", dlq),
        ("export", "export contacts, products, orders or list and segment members as CSV or JSON lines", export),
        ("queues", "queue depths, in flight, oldest message and dead letters", queues),
        ("segments", "segments: members and computation progress", segments),
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


MISSING = ("ResourceNotFoundException", "NonExistentQueue", "QueueDoesNotExist")  # AWS's "no such table/queue"
NO_REGION = "error: no AWS region set: pass --region REGION, or set AWS_DEFAULT_REGION (or use --local for make run)"
NO_CREDENTIALS = (
    "error: no AWS credentials found: set AWS_PROFILE or access key variables (or use --local for make run)"
)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _missing(exc: BaseException) -> bool:
    """Whether AWS said the stage's table or queue does not exist."""
    for cause in _causes(exc):
        code = cause.response.get("Error", {}).get("Code", "") if isinstance(cause, ClientError) else ""
        if any(name in f"{code} {cause}" for name in MISSING):
            return True
    return False


def _from_aws(exc: BaseException) -> bool:
    return any(isinstance(cause, BotoCoreError | ClientError) for cause in _causes(exc))


def _failed(exc: BaseException, stage: str | None) -> int:
    """Report an AWS failure in one line (and a hint); its exit code."""
    causes = _causes(exc)
    if any(isinstance(cause, NoRegionError) for cause in causes):
        print(NO_REGION, file=sys.stderr)
        return 2
    if any(isinstance(cause, NoCredentialsError) for cause in causes):
        print(NO_CREDENTIALS, file=sys.stderr)
        return 2
    message = exc.message if isinstance(exc, OrbitError) else f"AWS call failed: {exc}"
    print(f"error: {message}", file=sys.stderr)
    if _missing(exc):
        print(f"hint: is stage {stage!r} deployed in this account and region? ({_where()})", file=sys.stderr)
        return 2
    return 1


def main(argv: Sequence[str] | None = None, *, sleep: Sleep = time.sleep) -> int:
    """Run one command and return its exit code; ``sleep`` is the pause between status polls."""
    given, wants_local = local.local_argv(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(given)
    try:
        if wants_local:
            local.use_runtime(args.region)
            aws.reset_clients()
        _apply_aws_options(args)
        run: Command = args.run
        return run(args, sleep)
    except OrbitError as exc:
        if isinstance(exc, Retryable) or _from_aws(exc):
            return _failed(exc, getattr(args, "stage", None))
        print(f"error: {exc.message}", file=sys.stderr)
        for detail in exc.details:
            print(f"  {detail.path}: {detail.message}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        return _failed(exc, getattr(args, "stage", None))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
