"""eSputnik eS.js web events (``eS('sendEvent'|'sendEventWithTags', name, payload)``) -> canonical events.

Accepts the whole eS.js object (``{"ProductPage": {...}}``, also with ``GeneralInfo``) or just its inner part,
and the ``sendEventWithTags``/REST variants with nested ``Product``/``Products``/``Tags``. Numbers sent as
strings are converted; bad values raise InvalidInput on paths like ``properties.ProductPage.price``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.catalog.models import currency_code, parse_price
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.events.models import (
    CART_UPDATED,
    ORDER_COMPLETED,
    PAGE_VIEWED,
    PRODUCT_LIST_VIEWED,
    PRODUCT_VIEWED,
    PRODUCTS_SEARCHED,
    WISHLIST_ADDED,
)

IDENTIFY = "identify"
"""Pseudo-type returned for ``CustomerData``: the properties are identify traits (``externalId`` included)."""

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}
_CUSTOMER_FIELDS = {
    "externalCustomerId": "externalId",
    "user_email": "email",
    "user_phone": "phone",
    "user_card_id": "cardId",
    "user_client_id": "clientId",
    "user_es_contact_id": "esContactId",
}


class _Reader:
    """Collects every bad field of one payload, so the caller hears about all of them at once."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.errors: list[ErrorDetail] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(ErrorDetail(f"{self.prefix}{path}", message))

    def text(self, value: Any, path: str, *, required: bool = False) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None and not isinstance(value, str):
            self.fail(path, "must be a string")
        elif required:
            self.fail(path, "is required")
        return None

    def currency(self, value: Any, path: str) -> str | None:
        text = self.text(value, path)
        try:
            return currency_code(text) if text else None
        except ValueError as exc:
            self.fail(path, str(exc))
            return None

    def price(self, value: Any, path: str) -> tuple[float | None, str | None]:
        """A non-negative amount; text like ``"754 USD"`` also yields the currency."""
        if value is None or value == "":
            return None, None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value) and value >= 0:
                return float(value), None
        elif isinstance(value, str):
            try:
                amount, code = parse_price(value)
            except ValueError as exc:
                self.fail(path, str(exc))
                return None, None
            return float(amount), code
        self.fail(path, "must be a non-negative number")
        return None, None

    def number(self, value: Any, path: str) -> float | None:
        amount, code = self.price(value, path)
        if code:
            self.fail(path, "must be a number")
        return amount

    def quantity(self, value: Any, path: str) -> int:
        if value is None:
            return 1
        number = -1.0
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            with contextlib.suppress(ValueError):
                number = float(value)
        if number < 0 or not number.is_integer():
            self.fail(path, "must be a whole number")
            return 1
        return int(number)

    def flag(self, value: Any, path: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.fail(path, "must be 0 or 1")
        return None


def _tags(source: dict[str, Any], prefix: str = "tag_") -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for key, value in source.items():
        if key.startswith(prefix) and value is not None:
            values = value if isinstance(value, list) else [value]
            tags[key.removeprefix(prefix)] = [str(v) for v in values]
    return tags


def _with_tags(props: dict[str, Any], body: dict[str, Any], *sources: dict[str, Any]) -> dict[str, Any]:
    tags: dict[str, list[str]] = {}
    for source in sources:
        tags.update(_tags(source))
    extra = body.get("Tags")
    if isinstance(extra, dict):
        tags.update(_tags(extra, prefix=""))
    if tags:
        props["tags"] = tags
    return props


def _product(item: Any, path: str, r: _Reader, *, line: bool) -> dict[str, Any]:
    """One product object (``productKey``/``product_id``, ``price``/``unit_price``, ...) -> canonical keys."""
    if not isinstance(item, dict):
        r.fail(path, "must be an object")
        return {}
    id_key = next((k for k in ("productKey", "product_id", "productId") if k in item), "productKey")
    price_key = "unit_price" if "unit_price" in item and "price" not in item else "price"
    price, code = r.price(item.get(price_key), f"{path}.{price_key}")
    currency_key = "currency" if "currency" in item else "price_currency_code"
    out: dict[str, Any] = {
        "product_id": r.text(item.get(id_key), f"{path}.{id_key}", required=True),
        "price": price,
        "currency": r.currency(item.get(currency_key), f"{path}.{currency_key}") or code,
    }
    if line:
        out["quantity"] = r.quantity(item.get("quantity"), f"{path}.quantity")
        out["discount"] = r.number(item.get("discount"), f"{path}.discount")
    else:
        out["in_stock"] = r.flag(item.get("isInStock"), f"{path}.isInStock")
    tags = _tags(item)
    if tags:
        out["tags"] = tags
    return {k: v for k, v in out.items() if v is not None}


def _products(body: dict[str, Any], list_key: str, r: _Reader) -> list[dict[str, Any]]:
    key = "Products" if "Products" in body else list_key
    items = body.get(key, [])
    base = "" if key == list_key else f".{key}"
    if not isinstance(items, list):
        r.fail(base, "must be a list of products")
        return []
    return [_product(item, f"{base}[{i}]", r, line=True) for i, item in enumerate(items)]


def _currency_of(products: list[dict[str, Any]], body: dict[str, Any], r: _Reader) -> str | None:
    given = r.currency(body.get("currency"), ".currency")
    return given or next((p["currency"] for p in products if "currency" in p), None)


def _product_page(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    nested = isinstance(body.get("Product"), dict)
    source = body["Product"] if nested else body
    product = _product(source, ".Product" if nested else "", r, line=False)
    return _with_tags(product, body)


def _status_cart(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    products = _products(body, "StatusCart", r)
    props = {"cart_id": r.text(body.get("GUID"), ".GUID"), "products": products}
    props["currency"] = _currency_of(products, body, r)
    return _with_tags({k: v for k, v in props.items() if v is not None}, body)


def _purchased_items(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    products = _products(body, "PurchasedItems", r)
    id_key = "OrderNumber" if "OrderNumber" in body or "TrackedOrderId" not in body else "TrackedOrderId"
    total = r.number(body.get("total", body.get("totalCost")), ".total")
    if total is None:
        cents = sum(Decimal(str(p.get("price", 0))) * p.get("quantity", 1) for p in products)
        total = float(round(cents, 2))
    props = {
        "order_id": r.text(body.get(id_key), f".{id_key}", required=True),
        "cart_id": r.text(body.get("GUID"), ".GUID"),
        "products": products,
        "total": total,
        "currency": _currency_of(products, body, r),
    }
    return _with_tags({k: v for k, v in props.items() if v is not None}, body)


def _customer_data(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    traits: dict[str, Any] = {}
    for key, value in body.items():
        if key in _CUSTOMER_FIELDS:
            text = r.text(value, f".{key}")
            if text and text.lower() != "null":  # eSputnik ignores empty/"null" ids
                traits[_CUSTOMER_FIELDS[key]] = text
        elif key == "user_name":
            parts = (r.text(value, f".{key}") or "").split(None, 1)
            traits.update(zip(("firstName", "lastName"), parts, strict=False))
        elif key == "user_city":
            city = r.text(value, f".{key}")
            if city:
                traits["address"] = {"city": city}
        elif not key.startswith("user_tags_") and value is not None:
            traits[key] = value
    tags = _tags(body, prefix="user_tags_")
    if tags:
        traits["tags"] = tags
    return traits


def _category_page(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    return {"category": r.text(body.get("categoryKey"), ".categoryKey", required=True)}


def _search_request(body: dict[str, Any], r: _Reader) -> dict[str, Any]:
    props = {
        "query": r.text(body.get("search"), ".search", required=True),
        "found": r.flag(body.get("isFound"), ".isFound"),
    }
    return {k: v for k, v in props.items() if v is not None}


def _page(page_type: str | None) -> Callable[[dict[str, Any], _Reader], dict[str, Any]]:
    return lambda body, r: {"page_type": page_type} if page_type else {}


_HANDLERS: dict[str, tuple[str, Callable[[dict[str, Any], _Reader], dict[str, Any]]]] = {
    "ProductPage": (PRODUCT_VIEWED, _product_page),
    "AddToWishlist": (WISHLIST_ADDED, _product_page),
    "StatusCart": (CART_UPDATED, _status_cart),
    "PurchasedItems": (ORDER_COMPLETED, _purchased_items),
    "CustomerData": (IDENTIFY, _customer_data),
    "CategoryPage": (PRODUCT_LIST_VIEWED, _category_page),
    "SearchRequest": (PRODUCTS_SEARCHED, _search_request),
    "PageView": (PAGE_VIEWED, _page(None)),
    "MainPage": (PAGE_VIEWED, _page("main")),
    "NotFound": (PAGE_VIEWED, _page("not_found")),
    "StatusCartPage": (PAGE_VIEWED, _page("cart")),
}
ESPUTNIK_EVENTS = frozenset(_HANDLERS)


def from_esputnik(name: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(canonical type, canonical properties) for an eS.js event, or None when ``name`` is not one.

    ``CustomerData`` yields ``("identify", traits)`` where traits may hold ``externalId``.
    """
    if name not in _HANDLERS:
        return None
    canonical, handler = _HANDLERS[name]
    r = _Reader(f"properties.{name}")
    if not isinstance(payload, dict):
        raise InvalidInput(f"The {name} event is invalid", [ErrorDetail("properties", "must be an object")])
    inner = payload.get(name)
    body = {k: v for k, v in payload.items() if k not in (name, "GeneralInfo")}
    if isinstance(inner, dict):
        body.update(inner)
    elif inner is not None:  # whole-object forms whose value is the list: {StatusCart: [...], GUID}
        body[name] = inner
    props = handler(body, r)
    if r.errors:
        raise InvalidInput(f"The {name} event is invalid", r.errors)
    return canonical, props
