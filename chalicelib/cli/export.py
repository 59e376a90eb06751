"""``export contacts|products|orders|members``: page through a stage's listing into CSV or JSON lines, with
progress.

The export pages through the same use cases as ``GET /v1/contacts``, ``/v1/products`` and ``/v1/orders``
(``services/listing.py``), with the same filters, so it is a scan in storage order. Rows are what the API
answers; CSV flattens additional contact fields into ``fields.<name>`` columns and writes any other nested value
(address, channels, aggregates, items, categoryPath) as JSON in its cell. Progress goes to stderr.

``export members ID`` writes the members of a list or a segment (its served generation) as
``GET /v1/lists/{id}/members`` answers them, ``externalId`` and ``since``; its progress bar knows the total
(the member count kept with the membership).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.orders.models import shown
from chalicelib.ports import Ports
from chalicelib.segments.models import SegmentDef
from chalicelib.services import contacts as contact_service
from chalicelib.services import listing
from chalicelib.services.segments.members import members_page

PAGE_SIZE = 500
# CLI option -> the listing filter (the API's query parameter) it sets
OPTIONS: dict[str, dict[str, str]] = {
    "contacts": {
        "created_after": "createdAfter",
        "created_before": "createdBefore",
        "updated_after": "updatedAfter",
        "updated_before": "updatedBefore",
    },
    "products": {"category": "category", "in_stock": "inStock"},
    "orders": {"contact": "contact", "status": "status", "date_from": "dateFrom", "date_to": "dateTo"},
}
Row = dict[str, Any]


def register(commands: Any) -> None:
    helps = {
        "contacts": "export known contacts (filters: created/updated times, --field NAME=VALUE)",
        "products": "export the product catalog (filters: --category, --in-stock)",
        "orders": "export orders (filters: --contact, --status, --date-from, --date-to)",
    }
    for resource, help_text in helps.items():
        parser = commands.add_parser(resource, help=help_text, description=help_text)
        add_stage(parser)
        parser.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format (default csv)")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write here (default: stdout)")
        parser.add_argument(
            "--page-size", type=int, default=PAGE_SIZE, help=f"items per listing page, 1-500 (default {PAGE_SIZE})"
        )
        for option in OPTIONS[resource]:
            flag = "--" + option.replace("_", "-")
            parser.add_argument(flag, dest=option, metavar="VALUE", help=f"as the API's {OPTIONS[resource][option]}")
        if resource == "contacts":
            parser.add_argument(
                "--field",
                action="append",
                default=[],
                metavar="NAME=VALUE",
                help="a declared additional field equals VALUE (a stringList field: contains it); repeatable",
            )
        parser.set_defaults(run=_export, resource=resource)
    _register_members(commands)


def _register_members(commands: Any) -> None:
    help_text = "export the members of a list or a segment (externalId, since)"
    parser = commands.add_parser("members", help=help_text, description=help_text)
    parser.add_argument("id", help="the list's or segment's id")
    add_stage(parser)
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format (default csv)")
    parser.add_argument("--output", "--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    parser.add_argument(
        "--page-size", type=int, default=PAGE_SIZE, help=f"members per page, 1-500 (default {PAGE_SIZE})"
    )
    parser.set_defaults(run=_export_members, resource="members")


def _filters(args: argparse.Namespace) -> dict[str, str]:
    filters = {name: getattr(args, option) for option, name in OPTIONS[args.resource].items()}
    found = {name: value for name, value in filters.items() if value is not None}
    for pair in getattr(args, "field", []):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidInput("--field is invalid", [ErrorDetail("--field", f"{pair!r}: use NAME=VALUE")])
        found[listing.FIELD_PREFIX + name] = value
    return found


def _flag(path: str, resource: str) -> str:
    """The CLI option a listing error names (``createdAfter`` -> ``--created-after``)."""
    for option, name in OPTIONS[resource].items():
        if path == name:
            return "--" + option.replace("_", "-")
    if path.startswith(listing.FIELD_PREFIX):
        return f"--field {path[len(listing.FIELD_PREFIX) :]}"
    return path


def rows(ports: Ports, resource: str, filters: dict[str, str], page_size: int) -> Iterator[list[Row]]:
    """The listing's pages, each as the API shows its items."""
    cursor: str | None = None
    while True:
        page: list[Row]
        if resource == "contacts":
            records, cursor = listing.contacts_page(ports, page_size, cursor, filters)
            page = [contact_service.card(ports, r).model_dump(mode="json") for r in records]
        elif resource == "products":
            products, cursor = listing.products_page(ports, page_size, cursor, filters)
            page = [
                {**p.product.model_dump(mode="json"), "createdAt": p.created_at, "updatedAt": p.updated_at}
                for p in products
            ]
        else:
            orders, cursor = listing.orders_page(ports, page_size, cursor, filters)
            page = [json.loads(json.dumps(shown(o), default=str)) for o in orders]
        yield page
        if cursor is None:
            return


def flatten(row: Row) -> Row:
    """A CSV row: ``fields`` as ``fields.<name>`` columns, other nested values as JSON text, None as empty."""
    flat: Row = {}
    for key, value in row.items():
        if key == "fields" and isinstance(value, dict):
            for name, field_value in value.items():
                flat[f"fields.{name}"] = _cell(field_value)
        else:
            flat[key] = _cell(value)
    return flat


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _progress(what: str, total: int | None = None, unit: str | None = None) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # the operator's environment lacks the dev requirements: export without a bar
        return None
    return tqdm(desc=f"exporting {what}", total=total, unit=" " + (unit or what), file=sys.stderr, dynamic_ncols=True)


def export(
    ports: Ports,
    resource: str,
    filters: dict[str, str],
    out: IO[str],
    fmt: str,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[int], None] | None = None,
) -> int:
    """Write every item of the listing to ``out``; returns how many. CSV is written in two passes (through a
    temporary JSON-lines file) so its header holds every ``fields.<name>`` column that occurs."""
    count = 0
    if fmt == "jsonl":
        for page in rows(ports, resource, filters, page_size):
            for row in page:
                out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += len(page)
            if on_page:
                on_page(len(page))
        return count
    columns: dict[str, None] = {}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for page in rows(ports, resource, filters, page_size):
            for row in page:
                flat = flatten(row)
                columns.update(dict.fromkeys(flat))
                spool.write(json.dumps(flat, ensure_ascii=False) + "\n")
            count += len(page)
            if on_page:
                on_page(len(page))
        plain = [c for c in columns if not c.startswith("fields.")]
        header = plain + sorted(c for c in columns if c.startswith("fields."))
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        spool.seek(0)
        for line in spool:
            writer.writerow(json.loads(line))
    return count


def _export(args: argparse.Namespace, _sleep: object) -> int:
    if not 1 <= args.page_size <= 500:
        raise InvalidInput("--page-size is invalid", [ErrorDetail("--page-size", "must be from 1 to 500")])
    ports = build_ports(args.stage)
    try:
        filters = _filters(args)
        with ExitStack() as stack:
            out: IO[str] = (
                stack.enter_context(args.output.open("w", encoding="utf-8", newline="")) if args.output else sys.stdout
            )
            bar = _progress(args.resource)
            if bar is not None:  # (a tqdm without a total has no truth value)
                stack.callback(bar.close)
            count = export(
                ports, args.resource, filters, out, args.format, args.page_size, bar.update if bar is not None else None
            )
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, [ErrorDetail(_flag(d.path, args.resource), d.message) for d in exc.details]
        ) from None
    where = f" to {args.output}" if args.output else ""
    print(f"exported {count} {args.resource}{where}", file=sys.stderr)
    return 0


MEMBER_COLUMNS = ("externalId", "since")


def _definition(ports: Ports, segment_id: str) -> SegmentDef:
    definition = ports.segments.segment(segment_id)
    if definition is None:
        raise NotFound(f"No list or segment {segment_id!r}", [ErrorDetail("id", "is not a list or segment")])
    return definition


def member_rows(ports: Ports, segment_id: str, page_size: int) -> Iterator[list[Row]]:
    """The members of a list or segment, page by page, as the API shows them."""
    definition = _definition(ports, segment_id)
    cursor: str | None = None
    while True:
        page = members_page(ports, definition, page_size, cursor)
        yield [item.model_dump(mode="json") for item in page.items]
        cursor = page.nextCursor
        if cursor is None:
            return


def export_members(
    ports: Ports,
    segment_id: str,
    out: IO[str],
    fmt: str,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[int], None] | None = None,
) -> int:
    """Write every member of the list or segment to ``out``; returns how many."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=MEMBER_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for page in member_rows(ports, segment_id, page_size):
        for row in page:
            if writer is not None:
                writer.writerow({k: _cell(row.get(k)) for k in MEMBER_COLUMNS})
            else:
                out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += len(page)
        if on_page:
            on_page(len(page))
    return count


def _export_members(args: argparse.Namespace, _sleep: object) -> int:
    if not 1 <= args.page_size <= 500:
        raise InvalidInput("--page-size is invalid", [ErrorDetail("--page-size", "must be from 1 to 500")])
    ports = build_ports(args.stage)
    definition = _definition(ports, args.id)
    total = ports.memberships.count(definition.serving)
    with ExitStack() as stack:
        out: IO[str] = (
            stack.enter_context(args.output.open("w", encoding="utf-8", newline="")) if args.output else sys.stdout
        )
        bar = _progress(f"{definition.kind} {definition.id}", total, "members")
        if bar is not None:
            stack.callback(bar.close)
        count = export_members(
            ports, definition.id, out, args.format, args.page_size, bar.update if bar is not None else None
        )
    where = f" to {args.output}" if args.output else ""
    print(f"exported {count} members of {definition.kind} {definition.id}{where}", file=sys.stderr)
    return 0
