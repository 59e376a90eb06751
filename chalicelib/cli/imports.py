"""``contacts import`` / ``contacts import-status``: CSV → import requests → progress → row errors.

The CSV is sent as import requests of at most 3,000 rows (``start_import``); the stage's queue
consumer applies them. ``--wait`` polls the status of every request and maps row errors back to
CSV line numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.cli.csvfile import CsvContacts, Row, Skipped
from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.contacts.imports import MAX_ROWS, ImportRequest, ImportStatus
from chalicelib.errors import InvalidInput, OrbitError
from chalicelib.ports import Ports
from chalicelib.services import imports

Sleep = Callable[[float], None]
ERRORS_SHOWN = 20


@dataclass(frozen=True)
class Submitted:
    import_id: str
    lines: list[int]  # the CSV line of each row, by its index in the request


def _chunk_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_ROWS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_ROWS}")
    return value


def _delimiter(text: str) -> str:
    value = "\t" if text.lower() in ("tab", "\\t") else text
    if len(value) != 1 or value in '\r\n"':
        raise argparse.ArgumentTypeError("must be one character (or 'tab') other than a quote or a line break")
    return value


def _add_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", action="store_true", help="show progress until done, then the row errors")
    parser.add_argument("--poll-interval", type=float, default=2.0, metavar="SECONDS", help="between status polls")
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop waiting after this long (the import goes on)"
    )


def register(commands: Any) -> None:
    start = commands.add_parser("import", help="import contacts from a CSV file")
    add_stage(start)
    start.add_argument("file", type=Path, metavar="FILE.csv")
    start.add_argument("--chunk-size", type=_chunk_size, default=MAX_ROWS, help=f"rows per request (≤{MAX_ROWS})")
    start.add_argument(
        "--delimiter",
        type=_delimiter,
        help="cell separator: one character, or 'tab' (default: detected from the header, one of , ; tab |)",
    )
    _add_wait(start)
    start.set_defaults(run=_import)

    status = commands.add_parser("import-status", help="progress and row errors of earlier imports")
    add_stage(status)
    status.add_argument("import_ids", nargs="+", metavar="IMPORT_ID")
    _add_wait(status)
    status.set_defaults(run=_status)


def _submit(ports: Ports, rows: list[Row]) -> Submitted:
    accepted = imports.start_import(ports, ImportRequest(contacts=[r.contact for r in rows]), source="cli")
    return Submitted(accepted.importId, [r.line for r in rows])


def send_csv(
    ports: Ports, path: Path, chunk_size: int, delimiter: str | None = None
) -> tuple[list[Submitted], list[Skipped]]:
    """Queue the file's rows as import requests; returns them and the rows rejected before sending."""
    submitted: list[Submitted] = []
    skipped: list[Skipped] = []
    batch: list[Row] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            source = CsvContacts(stream, ports.fields.fields(), delimiter)
            for item in source.rows():
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                batch.append(item)
                if len(batch) == chunk_size:
                    submitted.append(_submit(ports, batch))
                    batch = []
            if batch:
                submitted.append(_submit(ports, batch))
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OrbitError as exc:
        if submitted or batch:
            _print_submitted(submitted)
            first = batch[0].line if batch else "?"
            exc.message += f" (rows from CSV line {first} on were not queued; the imports above were)"
        raise
    return submitted, skipped


def _print_submitted(submitted: list[Submitted]) -> None:
    for s in submitted:
        print(f"import {s.import_id}: CSV lines {s.lines[0]}-{s.lines[-1]} ({len(s.lines)} rows)")


def _import(args: argparse.Namespace, sleep: Sleep) -> int:
    ports = build_ports(args.stage)
    submitted, skipped = send_csv(ports, args.file, args.chunk_size, args.delimiter)
    if not submitted and not skipped:
        raise InvalidInput(f"{args.file} has a header but no rows")
    _print_submitted(submitted)
    total = sum(len(s.lines) for s in submitted)
    print(f"Queued {total} rows in {len(submitted)} import(s).")
    if not args.wait:
        for s in skipped:
            print(f"  line {s.line}: not sent: {s.message}")
        print("The stage's queue consumer applies them (locally: keep `make run` running). Follow with:")
        print(f"  {status_command(args.stage, [s.import_id for s in submitted])}")
        return 1 if skipped else 0
    statuses = wait(ports, [s.import_id for s in submitted], sleep, args.poll_interval, args.timeout)
    if statuses is None:
        _check_later(args.stage, [s.import_id for s in submitted])
        return 3
    return report(statuses, {s.import_id: s.lines for s in submitted}, skipped)


def _status(args: argparse.Namespace, sleep: Sleep) -> int:
    ports = build_ports(args.stage)
    if args.wait:
        statuses = wait(ports, args.import_ids, sleep, args.poll_interval, args.timeout)
        if statuses is None:
            _check_later(args.stage, args.import_ids)
            return 3
    else:
        statuses = [imports.status(ports, i) for i in args.import_ids]
        for st in statuses:
            print(f"import {st.importId}: {st.status}, {st.processed}/{st.total} rows processed")
        if any(st.status != "FINISHED" for st in statuses):
            return 0
    return report(statuses, {}, [])


def status_command(stage: str, import_ids: Sequence[str]) -> str:
    """The exact command that follows ``import_ids`` until they finish."""
    return f"python -m chalicelib.cli contacts import-status --stage {stage} --wait {' '.join(import_ids)}"


def _check_later(stage: str, import_ids: Sequence[str]) -> None:
    print(f"Import ids: {' '.join(import_ids)}. Check later with:")
    print(f"  {status_command(stage, import_ids)}")


class _NoBar:
    n = 0

    def update(self, n: int) -> None:
        self.n += n

    def close(self) -> None:
        pass


def _progress_bar(total: int) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an operator (dev) dependency, not a Lambda one
        return _NoBar()
    return tqdm(total=total, unit="row", desc="importing", file=sys.stderr)


def wait(
    ports: Ports, import_ids: Sequence[str], sleep: Sleep, interval: float, timeout: float | None
) -> list[ImportStatus] | None:
    """Poll until every import has finished (a progress bar on stderr); None when ``timeout`` ran out."""
    statuses = [imports.status(ports, i) for i in import_ids]
    bar = _progress_bar(sum(st.total for st in statuses))
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            bar.update(sum(st.processed for st in statuses) - bar.n)
            if all(st.status == "FINISHED" for st in statuses):
                return statuses
            if deadline is not None and time.monotonic() >= deadline:
                print(f"Still processing after {timeout:g}s; the import goes on.")
                return None
            sleep(interval)
            statuses = [imports.status(ports, i) for i in import_ids]
    finally:
        bar.close()


def report(statuses: list[ImportStatus], lines: dict[str, list[int]], skipped: list[Skipped]) -> int:
    """Print the totals and the first row errors; exit code 1 when any row failed."""
    succeeded = sum(st.succeeded for st in statuses)
    failed = sum(st.failed for st in statuses) + len(skipped)
    print(f"Import finished: {succeeded} succeeded, {failed} failed.")
    problems: list[tuple[int, str]] = [(s.line, f"line {s.line}: {s.message}") for s in skipped]
    for st in statuses:
        mapping = lines.get(st.importId)
        for err in st.errors:
            where = f"line {mapping[err.index]}" if mapping else f"import {st.importId} row {err.index + 1}"
            who = f" (externalId {err.externalId})" if err.externalId else ""
            text = "; ".join(f"{e.get('path', '$')}: {e.get('message', '')}" for e in err.errors)
            problems.append((mapping[err.index] if mapping else err.index, f"{where}{who}: {text}"))
    problems.sort(key=lambda p: p[0])
    for _key, text in problems[:ERRORS_SHOWN]:
        print(f"  {text}")
    if len(problems) > ERRORS_SHOWN:
        print(f"  ... and {len(problems) - ERRORS_SHOWN} more (GET /v1/imports/<importId> lists every row error)")
    return 1 if failed else 0
