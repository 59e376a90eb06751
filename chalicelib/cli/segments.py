"""``segments list|status|recompute``: what segments there are, and a computation's progress (``--wait``
follows it with a progress bar until the new membership serves)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib.cli.keys import table
from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation, SegmentDef
from chalicelib.services.segments import definitions

POLL_SECONDS = 1.0


def register(commands: Any) -> None:
    listing = commands.add_parser("list", help="every segment: members, generation, computing or ready")
    add_stage(listing)
    listing.add_argument("--tag", help="only segments carrying this tag")
    listing.set_defaults(run=_list)
    status = commands.add_parser("status", help="one segment's members and computation progress")
    add_stage(status)
    status.add_argument("id")
    status.add_argument("--wait", action="store_true", help="follow a computation with a progress bar until done")
    status.add_argument("--timeout", type=float, default=600.0, help="seconds --wait waits at most (default 600)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(run=_status)
    again = commands.add_parser("recompute", help="compute a segment again from every contact")
    add_stage(again)
    again.add_argument("id")
    again.set_defaults(run=_recompute)


def describe(ports: Ports, definition: SegmentDef) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": definition.id,
        "name": definition.name,
        "members": ports.memberships.count(definition.serving),
        "generation": definition.generation,
        "status": "computing" if definition.generation == 0 else "ready",
    }
    if definition.building is not None:
        progress = ports.segments.build(Generation(definition.id, definition.building))
        if progress is not None:
            found["computing"] = {
                "generation": progress.generation,
                "scanned": progress.scanned,
                "partsDone": sum(p.done for p in progress.parts.values()),
                "parts": len(progress.parts),
            }
    return found


def _list(args: argparse.Namespace, _sleep: Any) -> int:
    ports = build_ports(args.stage)
    rows = []
    for definition in definitions.listing(ports, "segment", args.tag):
        shown = describe(ports, definition)
        computing = shown.get("computing")
        state = f"computing {computing['partsDone']}/{computing['parts']}" if computing else shown["status"]
        rows.append([definition.id, definition.name, str(shown["members"]), str(definition.generation), state])
    print(table(rows, ["ID", "NAME", "MEMBERS", "GENERATION", "STATE"]))
    return 0


def _status(args: argparse.Namespace, sleep: Any) -> int:
    ports = build_ports(args.stage)
    definition = definitions.get(ports, args.id, "segment")
    if args.wait and definition.building is not None:
        if not _follow(ports, args.id, definition.building, args.timeout, sleep):
            print(f"still computing after {args.timeout:.0f} s; check again with: segments status {args.id}")
            return 1
        definition = definitions.get(ports, args.id, "segment")
    shown = describe(ports, definition)
    if args.json:
        print(json.dumps(shown))
    else:
        computing = shown.get("computing")
        extra = (
            f", computing generation {computing['generation']}: {computing['scanned']} contacts read"
            if computing
            else ""
        )
        print(
            f"{definition.id}: {shown['members']} members"
            f" (generation {definition.generation}, {shown['status']}){extra}"
        )
    return 0


def _follow(ports: Ports, segment_id: str, generation: int, timeout: float, sleep: Any) -> bool:
    """Show the computation's parts as they finish; True when the generation serves."""
    bar = _bar(generation)
    waited = 0.0
    try:
        while waited <= timeout:
            definition = definitions.get(ports, segment_id, "segment")
            progress = ports.segments.build(Generation(segment_id, generation))
            if bar is not None and progress is not None:
                bar.total = len(progress.parts)
                bar.n = sum(p.done for p in progress.parts.values())
                bar.set_postfix(contacts=progress.scanned)
                bar.refresh()
            if definition.generation >= generation:
                return True
            sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        return False
    finally:
        if bar is not None:
            bar.close()


def _bar(generation: int) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(desc=f"computing generation {generation}", unit=" parts", file=sys.stderr, dynamic_ncols=True)


def _recompute(args: argparse.Namespace, _sleep: Any) -> int:
    ports = build_ports(args.stage)
    changed = definitions.recompute(ports, args.id)
    print(f"{args.id}: computing generation {changed.building}; follow it with: segments status {args.id} --wait")
    return 0
