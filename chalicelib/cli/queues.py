"""``queues status``: per stream, what waits on its queue, what is in flight, how old the oldest message is,
and what is parked on its dead-letter queue."""

from __future__ import annotations

import argparse
import json
from typing import Any

from chalicelib.cli.keys import table
from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.services import queues


def register(commands: Any) -> None:
    status = commands.add_parser("status", help="depths, in flight, oldest message age and dead letters per stream")
    add_stage(status)
    status.add_argument(
        "--queue", action="append", choices=queues.STREAMS, help="only this stream (repeatable; default all)"
    )
    status.add_argument("--json", action="store_true", help="print one JSON object per stream")
    status.set_defaults(run=_status)


def _status(args: argparse.Namespace, _sleep: object) -> int:
    found = queues.status(build_ports(args.stage), tuple(args.queue or queues.STREAMS))
    if args.json:
        for stream, state in found.items():
            print(json.dumps({"stream": stream, **queues.as_json(state)}))
        return 0
    rows = [
        [stream, str(s.depth), str(s.in_flight), _age(s.oldest_age_seconds), str(s.dead_letters)]
        for stream, s in found.items()
    ]
    print(table(rows, ["STREAM", "WAITING", "IN FLIGHT", "OLDEST", "DEAD LETTERS"]))
    for stream, state in found.items():
        if state.dead_letters:
            print(
                f"{stream}: {state.dead_letters} parked; see them with: dlq list --stage {args.stage} --queue {stream}"
            )
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
