"""Listing use cases: pages of contacts, products and orders with simple filters, behind opaque cursors.

Listings are scans (a contact's orders: its ``by_contact`` index), so they are unordered: a page holds what
storage returns next, and a page may hold fewer items than asked while more follow; a listing ends when its
``nextCursor`` is null. A cursor names its listing, so one from another listing is a 400 naming ``cursor``.
Filters arrive as the query parameters' text (the API and the CLI export pass the same names); a bad one is a
400 naming it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from chalicelib.catalog.models import StoredProduct
from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.fields import coerce
from chalicelib.contacts.patch import check_external_id
from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.orders.models import OrderStatus
from chalicelib.ports import Order, Ports
from chalicelib.services.orders import contact_keys

FIELD_PREFIX = "field."
CONTACT_FILTERS = ("createdAfter", "createdBefore", "updatedAfter", "updatedBefore")
PRODUCT_FILTERS = ("category", "inStock")
ORDER_FILTERS = ("contact", "status", "dateFrom", "dateTo")
STATUSES: tuple[str, ...] = get_args(OrderStatus)


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{name} is invalid", [ErrorDetail(name, message)])


def encode_cursor(listing: str, state: dict[str, Any] | None) -> str | None:
    """The opaque cursor of the page after this one (None: the listing ended)."""
    if state is None:
        return None
    raw = json.dumps({"l": listing, **state}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str | None) -> dict[str, Any] | None:
    """The state a cursor of ``listing`` carries; a 400 naming ``cursor`` for anything else."""
    if cursor is None:
        return None
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad("cursor", "is not a cursor from a listing's nextCursor") from None
    if not isinstance(state, dict) or not isinstance(state.get("l"), str):
        raise _bad("cursor", "is not a cursor from a listing's nextCursor")
    if state.pop("l") != listing:
        raise _bad("cursor", "belongs to another listing (or other listing filters)")
    return state


def parse_time(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 time (a date is its midnight; no offset is UTC), or a 400 naming ``name``."""
    if raw is None:
        return None
    text = raw.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(name, "must be an ISO 8601 time like 2026-11-20T10:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bounds(filters: Mapping[str, str], low: str, high: str) -> tuple[datetime | None, datetime | None]:
    start, end = parse_time(low, filters.get(low)), parse_time(high, filters.get(high))
    if start is not None and end is not None and start > end:
        raise _bad(high, f"must not be before {low}")
    return start, end


def _text(bounds: tuple[datetime | None, datetime | None]) -> tuple[str | None, str | None]:
    return tuple(iso(b) if b is not None else None for b in bounds)  # type: ignore[return-value]


def _field_value(ports: Ports, name: str, raw: str) -> Any:
    """The query text of ``field.<name>`` as the declared field's stored value."""
    param = FIELD_PREFIX + name
    decl = ports.fields.fields().get(name)
    if decl is None:
        raise _bad(param, f"no additional field {name!r} is declared")
    if decl.type == "number":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise _bad(param, "must be a number") from None
        if not number.is_finite():
            raise _bad(param, "must be a number")
        return int(number) if number == number.to_integral_value() else float(number)
    if decl.type == "boolean":
        if raw not in ("true", "false"):
            raise _bad(param, "must be true or false")
        return raw == "true"
    if decl.type in ("date", "datetime"):
        value, problem = coerce(decl, raw)
        if problem:
            raise _bad(param, problem)
        return value
    return raw  # string; stringList: the list contains it


def contacts_page(
    ports: Ports, limit: int, cursor: str | None, filters: Mapping[str, str]
) -> tuple[list[ContactRecord], str | None]:
    """A page of known contacts matching ``filters`` (``createdAfter``/``createdBefore``/``updatedAfter``/
    ``updatedBefore``: inclusive ISO times; ``field.<name>``: the declared field equals, or a list contains,
    the value), and the next page's cursor."""
    created = _bounds(filters, "createdAfter", "createdBefore")
    updated = _bounds(filters, "updatedAfter", "updatedBefore")
    fields = {
        name[len(FIELD_PREFIX) :]: _field_value(ports, name[len(FIELD_PREFIX) :], value)
        for name, value in filters.items()
        if name.startswith(FIELD_PREFIX)
    }
    state = decode_cursor("contacts", cursor)
    records, last = ports.contacts.page(
        limit, state.get("k") if state else None, created=_text(created), updated=_text(updated), fields=fields
    )
    return records, encode_cursor("contacts", {"k": last} if last else None)


def products_page(
    ports: Ports, limit: int, cursor: str | None, filters: Mapping[str, str]
) -> tuple[list[StoredProduct], str | None]:
    """A page of products: ``category`` at any level of ``categoryPath``, ``inStock`` true or false."""
    category = filters.get("category")
    if category is not None and not category.strip():
        raise _bad("category", "must not be empty")
    in_stock_raw = filters.get("inStock")
    if in_stock_raw is not None and in_stock_raw not in ("true", "false"):
        raise _bad("inStock", "must be true or false")
    in_stock = None if in_stock_raw is None else in_stock_raw == "true"
    state = decode_cursor("products", cursor)
    products, last = ports.catalog.page(limit, state.get("k") if state else None, category=category, in_stock=in_stock)
    return products, encode_cursor("products", {"k": last} if last else None)


def orders_page(
    ports: Ports,
    limit: int,
    cursor: str | None,
    filters: Mapping[str, str],
    contact: ContactRecord | None = None,
) -> tuple[list[Order], str | None]:
    """A page of stored orders: ``status``, ``dateFrom``/``dateTo`` (inclusive, on the order's ``date``), and
    ``contact`` (an External ID: its orders, with those of the profiles merged into it) unless ``contact`` is
    given (the contact's own listing)."""
    status = filters.get("status")
    if status is not None and status not in STATUSES:
        raise _bad("status", f"must be one of {', '.join(STATUSES)}")
    dates = _bounds(filters, "dateFrom", "dateTo")
    external_id = filters.get("contact")
    if contact is None and external_id is not None:
        try:
            check_external_id(external_id)
        except InvalidInput:
            raise _bad("contact", "must be an External ID") from None
        contact = ports.contacts.load(keys.known(external_id))
        owners = contact_keys(ports, contact) if contact is not None else [keys.known(external_id)]
    elif contact is not None:
        owners = contact_keys(ports, contact)
    else:
        owners = []
    if not owners:
        state = decode_cursor("orders", cursor)
        found, last = ports.orders.page(limit, state.get("k") if state else None, status=status, dates=dates)
        return found, encode_cursor("orders", {"k": last} if last else None)
    listing = "orders@" + owners[0]
    state = decode_cursor(listing, cursor) or {"i": 0, "k": None}
    index = state.get("i")
    if not isinstance(index, int) or not 0 <= index < len(owners):
        raise _bad("cursor", "is not a cursor from a listing's nextCursor")
    found, last = ports.orders.page(limit, state.get("k"), contact_key=owners[index], status=status, dates=dates)
    if last is not None:
        return found, encode_cursor(listing, {"i": index, "k": last})
    if index + 1 < len(owners):
        return found, encode_cursor(listing, {"i": index + 1, "k": None})
    return found, None
