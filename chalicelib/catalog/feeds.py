"""Product feed parsing (JSON lines, CSV/TSV, Google Merchant RSS/Atom XML) into ``Product`` rows.

Bad rows are reported per row (``RowError``) and never block good rows; a feed that cannot be read at all
raises ``InvalidInput``. Pure functions: no I/O beyond the given text/bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from chalicelib.catalog.models import Product, parse_price
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.validation import details_from

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# csv and xml.etree are imported by the parsers that use them: every Lambda imports this module (for
# ``detect_format``), few ever parse a feed.

FeedFormat = Literal["jsonl", "csv", "xml"]
MAX_FEED_ROWS = 50_000
GOOGLE_NS = "http://base.google.com/ns/1.0"

_CONTENT_TYPES: dict[str, FeedFormat] = {
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/jsonlines": "jsonl",
    "application/json-lines": "jsonl",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
}
_EXTENSIONS: dict[str, FeedFormat] = {
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "csv": "csv",
    "tsv": "csv",
    "xml": "xml",
    "rss": "xml",
    "atom": "xml",
}
_STOCK = {
    "in stock": True,
    "in_stock": True,
    "instock": True,
    "available": True,
    "true": True,
    "yes": True,
    "1": True,
    "out of stock": False,
    "out_of_stock": False,
    "outofstock": False,
    "preorder": False,
    "backorder": False,
    "false": False,
    "no": False,
    "0": False,
}
# Normalised CSV/XML column names -> Product field; anything else lands in ``attributes``.
_FIELDS = {
    "id": "productId",
    "productid": "productId",
    "product_id": "productId",
    "name": "name",
    "title": "name",
    "url": "url",
    "link": "url",
    "image": "image",
    "image_link": "image",
    "image_url": "image",
    "imageurl": "image",
    "price": "price",
    "old_price": "oldPrice",
    "oldprice": "oldPrice",
    "sale_price": "salePrice",
    "currency": "currency",
    "category": "category",
    "product_type": "category",
    "google_product_category": "googleCategory",
    "brand": "brand",
    "in_stock": "inStock",
    "instock": "inStock",
    "availability": "inStock",
}
# RSS/Atom envelope elements that are neither product fields nor attributes.
_XML_SKIP = {"guid", "pubDate", "id", "updated", "published", "author"}


class RowError(BaseModel):
    """Why one feed row was rejected. ``row`` is the JSONL line, CSV spreadsheet row or XML item number."""

    row: int
    productId: str | None = None
    errors: list[dict[str, str]]


class FeedResult(BaseModel):
    products: list[Product] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)


def _invalid(message: str, path: str = "$") -> InvalidInput:
    error: InvalidInput = InvalidInput(message, [ErrorDetail(path, message)])
    return error


def detect_format(content_type: str | None, filename_or_url: str | None, head: bytes) -> FeedFormat:
    """Declared content type first, then the file extension, then a sniff of the first bytes."""
    if content_type:
        declared = content_type.split(";", 1)[0].strip().lower()
        if declared in _CONTENT_TYPES:
            return _CONTENT_TYPES[declared]
    if filename_or_url:
        path = re.split(r"[?#]", filename_or_url, maxsplit=1)[0]
        ext = PurePosixPath(path).suffix.lower().removeprefix(".")
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "xml"
    if text.startswith("{"):
        return "jsonl"
    first_line = text.split("\n", 1)[0]
    if any(sep in first_line for sep in (",", "\t", ";")):
        return "csv"
    raise _invalid("Cannot tell the feed format; send JSON lines, CSV or Google Merchant XML", "format")


def parse_feed(data: bytes | str, fmt: FeedFormat) -> FeedResult:
    """Parse a whole feed; see the module docstring for the error contract."""
    text = _text(data)
    if fmt == "jsonl":
        rows: Iterator[tuple[int, dict[str, Any] | None, list[dict[str, str]]]] = _jsonl_rows(text)
    elif fmt == "csv":
        rows = _csv_rows(text)
    elif fmt == "xml":
        rows = _xml_rows(text)
    else:
        raise _invalid("The feed format must be jsonl, csv or xml", "format")
    result = FeedResult()
    for count, (row, fields, problems) in enumerate(rows, start=1):
        if count > MAX_FEED_ROWS:
            raise _invalid(f"The feed has more than {MAX_FEED_ROWS} rows; split it into smaller feeds")
        raw_id = fields.get("productId") if fields else None
        product_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
        if fields is None:
            result.errors.append(RowError(row=row, productId=product_id, errors=problems))
            continue
        try:
            product = Product.model_validate(fields)
        except ValidationError as exc:
            seen = {p["path"] for p in problems}
            problems = problems + [d.as_dict() for d in details_from(exc) if d.path not in seen]
        if problems:
            result.errors.append(RowError(row=row, productId=product_id, errors=problems))
        else:
            result.products.append(product)
    return result


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid(f"The feed is not UTF-8 text (bad byte at offset {exc.start})") from exc


# --- JSON lines -------------------------------------------------------------------------------------------


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | None, list[dict[str, str]]]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, None, [{"path": "$", "message": f"is not valid JSON: {exc.msg}"}]
            continue
        except RecursionError:
            yield line_no, None, [{"path": "$", "message": "nests too deeply"}]
            continue
        if not isinstance(value, dict):
            yield line_no, None, [{"path": "$", "message": "must be a JSON object"}]
            continue
        yield line_no, value, []


# --- CSV / TSV and the shared Google-style field mapping ----------------------------------------------------


DELIMITERS = (",", "\t", ";", "|")


def detect_delimiter(header: str) -> str:
    """The cell separator a header line uses most among ``DELIMITERS`` (``,`` when it has none of them).
    Shared with the CLI's contact CSV import."""
    return max(DELIMITERS, key=header.count)


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | None, list[dict[str, str]]]]:
    import csv
    import io

    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        return
    reader = csv.reader(io.StringIO(text), delimiter=detect_delimiter(header_line))
    header: list[str] = []
    keys: list[str] = []
    try:
        for index, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if not header:
                header, keys = cells, [_column(name) for name in cells]
                if "productId" not in [_FIELDS.get(k) for k in keys]:
                    raise _invalid("The CSV header has no id column (id, productId or product_id)")
                continue
            if len(cells) > len(header):
                yield index, None, [{"path": "$", "message": "has more cells than the header"}]
                continue
            values = [(header[i].strip(), keys[i], cell) for i, cell in enumerate(cells)]
            yield (index, *_google_fields(values))
    except csv.Error as exc:
        raise _invalid(f"The CSV feed cannot be read at record {reader.line_num}: {exc}") from exc


def _column(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    return key.removeprefix("g:")


def _google_fields(values: list[tuple[str, str, str]]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(original name, normalised key, text) triples -> Product fields plus field-level problems."""
    raw: dict[str, str] = {}
    attributes: dict[str, str | list[str]] = {}
    for original, key, value in values:
        value = value.strip()
        if not value:
            continue
        target = _FIELDS.get(key)
        if target is None:
            previous = attributes.get(original)
            if previous is None:
                attributes[original] = value
            elif value not in ([previous] if isinstance(previous, str) else previous):
                attributes[original] = [*([previous] if isinstance(previous, str) else previous), value]
        else:
            raw.setdefault(target, value)
    fields: dict[str, Any] = {k: raw[k] for k in ("productId", "name", "url", "image", "brand") if k in raw}
    problems: list[dict[str, str]] = []
    _prices(raw, fields, problems)
    category = raw.get("category") or raw.get("googleCategory")
    if category:
        separator = ">" if ">" in category else "/"
        fields["categoryPath"] = [part.strip() for part in category.split(separator) if part.strip()]
    if "inStock" in raw:
        stock = _STOCK.get(raw["inStock"].lower().replace("-", " "))
        if stock is None:
            problems.append({"path": "inStock", "message": "must be 'in stock', 'out of stock', true or false"})
        else:
            fields["inStock"] = stock
    if attributes:
        fields["attributes"] = attributes
    return fields, problems


def _prices(raw: dict[str, str], fields: dict[str, Any], problems: list[dict[str, str]]) -> None:
    """Google semantics: with a ``sale_price`` the product sells at it and ``price`` becomes ``oldPrice``."""
    parsed: dict[str, Decimal] = {}
    codes: list[str] = []
    source = {"price": "price", "oldPrice": "old_price", "salePrice": "sale_price"}
    for key, column in source.items():
        if key not in raw:
            continue
        try:
            amount, code = parse_price(raw[key])
        except ValueError as exc:
            problems.append({"path": column, "message": str(exc)})
            continue
        parsed[key] = amount
        if code:
            codes.append(code)
    if "salePrice" in parsed:
        fields["price"] = parsed["salePrice"]
        if "price" in parsed:
            fields["oldPrice"] = parsed["price"]
    else:
        fields.update({k: parsed[k] for k in ("price", "oldPrice") if k in parsed})
    if "currency" in raw:
        fields["currency"] = raw["currency"]
    elif codes:
        fields["currency"] = codes[0]
    if len(set(codes)) > 1:
        problems.append({"path": "currency", "message": "prices in one row must share one currency"})


# --- XML: Google Merchant RSS 2.0 and Atom ------------------------------------------------------------------


def _local(tag: str) -> tuple[str, str]:
    """``{ns}name`` -> (ns, name)."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _xml_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | None, list[dict[str, str]]]]:
    import xml.etree.ElementTree as ET

    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise _invalid("XML feeds must not contain a DOCTYPE or ENTITY declaration")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise _invalid(f"The XML feed is not well-formed: {exc}") from exc
    if _local(root.tag)[1] not in ("rss", "feed"):
        raise _invalid("The XML feed must be a Google Merchant RSS 2.0 (<rss>) or Atom (<feed>) document")
    items = (el for el in root.iter() if el is not root and _local(el.tag)[1] in ("item", "entry"))
    for number, item in enumerate(items, start=1):
        yield (number, *_google_fields(_xml_values(item)))


def _xml_values(item: ET.Element) -> list[tuple[str, str, str]]:
    """Child elements -> (attribute name, normalised key, text); ``g:`` fields win over RSS/Atom ones."""
    google: list[tuple[str, str, str]] = []
    plain: list[tuple[str, str, str]] = []
    for child in item:
        ns, name = _local(child.tag)
        if len(child):  # structured (g:shipping, g:tax, ...): not representable as a flat attribute
            continue
        text = (child.text or "").strip()
        if ns == GOOGLE_NS:
            google.append((name, _column(name), text))
        elif name == "link":
            plain.append((name, "link", text or child.get("href", "")))
        elif name in ("title", "category"):
            plain.append((name, name, text))
        elif name not in _XML_SKIP:
            plain.append((name, f"xml:{name}", text))
    return google + plain
