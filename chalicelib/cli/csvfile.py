"""Contacts from a CSV file: header → contact paths, cells → values typed by field declarations.

Standard columns (``externalId``, ``email``, ``phone``, ``firstName``, ``lastName``, ``languageCode``,
``timeZone``; matched case-insensitively) map to the contact; ``address.<part>`` to the nested
address; ``fields.<name>`` and every other column to the declared additional field of that name
(an undeclared one fails the header, before anything is queued; every header problem is reported at
once). The delimiter (``,``, ``;``, tab or ``|``) is detected from the header unless given. Empty cells
are left out, so they never clear a stored value. Each row keeps the CSV line it started on.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from chalicelib.catalog.feeds import detect_delimiter
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.contacts.models import Address
from chalicelib.errors import ErrorDetail, InvalidInput

STANDARD = ("externalId", "email", "phone", "firstName", "lastName", "languageCode", "timeZone")
_STANDARD_BY_LOWER = {name.lower(): name for name in STANDARD}
_ADDRESS_PARTS = {name.lower(): name for name in Address.model_fields}
_INT = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class Row:
    line: int
    contact: dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    line: int
    message: str


def column_path(column: str) -> tuple[str, ...]:
    """Where a header's values go: ``("email",)``, ``("address", "town")``, ``("fields", "tier")``."""
    name = column.strip()
    lower = name.lower()
    if lower in _STANDARD_BY_LOWER:
        return (_STANDARD_BY_LOWER[lower],)
    if lower.startswith("address."):
        part = _ADDRESS_PARTS.get(lower.removeprefix("address."))
        if part is None:
            raise InvalidInput(
                f"Column {column!r}: the address has only {', '.join(f'address.{p}' for p in Address.model_fields)}"
            )
        return ("address", part)
    if lower.startswith("fields."):
        name = name[len("fields.") :]
    return ("fields", name)


def header_paths(header: list[str], declared: dict[str, FieldDeclaration] | None = None) -> list[tuple[str, ...]]:
    """The path of each column; InvalidInput naming every problem at once (a nameless, unknown or repeated
    column, a missing ``externalId``, and with ``declared`` each column that is not a declared field)."""
    problems: list[ErrorDetail] = []
    paths: list[tuple[str, ...]] = []
    for n, column in enumerate(header, start=1):
        if not column.strip():
            problems.append(ErrorDetail(f"column {n}", "has no name"))
            paths.append(())
            continue
        try:
            path = column_path(column)
        except InvalidInput as exc:
            problems.append(ErrorDetail(f"column {n}", exc.message.removeprefix(f"Column {column!r}: ")))
            paths.append(())
            continue
        if path in paths:
            problems.append(ErrorDetail(f"column {n}", f"{column!r} repeats {'.'.join(path)}"))
        elif declared is not None and path[0] == "fields" and path[1] not in declared:
            problems.append(
                ErrorDetail(
                    f"fields.{path[1]}", "is not a declared field (declare it with POST /v1/fields or remove it)"
                )
            )
        paths.append(path)
    if ("externalId",) not in paths:
        problems.append(ErrorDetail("header", "needs an externalId column"))
    if problems:
        raise InvalidInput(f"The CSV header is not usable ({len(problems)} problem(s)); nothing was queued", problems)
    return paths


def typed(decl: FieldDeclaration | None, raw: str) -> Any:
    """A cell as the declared field's type; unparseable cells stay strings so the row error names them."""
    if decl is None:
        return raw
    if decl.type == "number":
        try:
            number = int(raw) if _INT.fullmatch(raw) else float(raw)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw
    if decl.type == "boolean":
        lower = raw.lower()
        return True if lower in _TRUE else False if lower in _FALSE else raw
    if decl.type == "stringList":
        if raw.startswith("["):
            try:
                return json.loads(raw)
            except ValueError:
                return raw
        return [part.strip() for part in raw.split("|") if part.strip()]
    return raw


class CsvContacts:
    """Reads the header at once (so a bad header fails before anything is queued), then rows lazily.

    Without a ``delimiter`` the header line decides (``,``, ``;``, tab or ``|``, as for product feeds)."""

    def __init__(self, stream: TextIO, declared: dict[str, FieldDeclaration], delimiter: str | None = None) -> None:
        first = stream.readline()
        if not first:
            raise InvalidInput("The CSV file is empty")
        self.delimiter = delimiter or detect_delimiter(first)
        self._reader = csv.reader(itertools.chain([first], stream), delimiter=self.delimiter)
        self._declared = declared
        header = next(self._reader, None)
        if header is None:  # pragma: no cover - the first line is there
            raise InvalidInput("The CSV file is empty")
        self.header = header
        self.paths = header_paths(header, declared)

    def rows(self) -> Iterator[Row | Skipped]:
        for cells in self._reader:
            # line_num is the record's last physical line; quoted cells may span lines.
            line = self._reader.line_num - sum(cell.count("\n") for cell in cells)
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(self.paths):
                yield Skipped(line, f"has {len(cells)} cells but the header has {len(self.paths)} columns")
                continue
            yield Row(line, self._contact(cells))

    def _contact(self, cells: list[str]) -> dict[str, Any]:
        contact: dict[str, Any] = {}
        for path, cell in zip(self.paths, cells, strict=False):
            value = cell.strip()
            if not value:
                continue
            if len(path) == 1:
                contact[path[0]] = value
            elif path[0] == "fields":
                contact.setdefault("fields", {})[path[1]] = typed(self._declared.get(path[1]), value)
            else:
                contact.setdefault(path[0], {})[path[1]] = value
        return contact
