"""``dlq list|redrive``: what failed for good on a stream's queue, and sending it back after a fix."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from chalicelib.cli.keys import table
from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.services import dead_letters

BODY_SHOWN = 60


def register(commands: Any) -> None:
    listing = commands.add_parser("list", help="show parked messages (they stay parked)")
    _common(listing)
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="print JSON lines with whole bodies")
    listing.set_defaults(run=_list)

    redrive = commands.add_parser("redrive", help="send parked messages back to their queue")
    _common(redrive)
    redrive.add_argument("--limit", type=int, default=dead_letters.MAX_LIMIT, help="at most this many")
    redrive.set_defaults(run=_redrive)


def _common(parser: argparse.ArgumentParser) -> None:
    add_stage(parser)
    parser.add_argument("--queue", default="events", choices=dead_letters.STREAMS, help="which stream (default events)")


def _list(args: argparse.Namespace, _sleep: object) -> int:
    found = dead_letters.parked(build_ports(args.stage), args.queue, args.limit)
    if args.json:
        for letter in found:
            print(json.dumps(asdict(letter)))
        return 0
    if not found:
        print(f"The {args.queue} dead-letter queue of stage {args.stage!r} is empty.")
        return 0
    rows = [
        [
            letter.message_id,
            letter.sent_at[:19],
            str(letter.receive_count),
            letter.reason or "failed repeatedly (see the consumer's logs)",
            _preview(letter.body),
        ]
        for letter in found
    ]
    print(table(rows, ["MESSAGE", "SENT", "RECEIVES", "REASON", "BODY"]))
    print(f"{len(found)} parked. Send them back after a fix: dlq redrive --stage {args.stage} --queue {args.queue}")
    return 0


def _preview(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= BODY_SHOWN else flat[: BODY_SHOWN - 1] + "…"


def _redrive(args: argparse.Namespace, _sleep: object) -> int:
    moved = dead_letters.redrive(build_ports(args.stage), args.queue, args.limit)
    print(f"Sent {moved} message{'s' if moved != 1 else ''} back to the {args.queue} queue of stage {args.stage!r}.")
    return 0
