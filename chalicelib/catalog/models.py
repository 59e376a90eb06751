"""Catalog models: the ``Product`` the API and feeds accept, a stored product, a downloaded feed; price parsing
shared with tracking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from chalicelib.orders.money import CurrencyCode, shown
from chalicelib.orders.money import currency_code as currency_code  # shared with tracking

MAX_ATTRIBUTES = 100
MAX_CATEGORY_DEPTH = 10

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# "19.99", "19,99", "1 234.50 USD", "USD 19.99", "754USD"
_PRICE = re.compile(
    r"^\s*(?:(?P<pre>[A-Za-z]{3})\s*)?(?P<num>\d[\d\s\u00a0]*(?:[.,]\d+)?)\s*(?P<post>[A-Za-z]{3})?\s*$"
)


PRICE_RULE = "must be an amount of 0 or more like 19.99"
FEED_PRICE_RULE = PRICE_RULE + ", optionally with its currency code (19.99 USD)"
PRODUCT_PRICE_RULE = PRICE_RULE + "; put the currency code in currency"


def parse_price(text: str) -> tuple[Decimal, str | None]:
    """``"19.99 USD"`` -> ``(Decimal("19.99"), "USD")``; ``"19,99"`` -> ``(Decimal("19.99"), None)``.

    Raises ValueError (``FEED_PRICE_RULE``) for anything that is not a non-negative amount with an optional
    ISO 4217 code.
    """
    match = _PRICE.match(text)
    if not match or (match["pre"] and match["post"]):
        raise ValueError(FEED_PRICE_RULE)
    number = re.sub(r"[\s\u00a0]", "", match["num"]).replace(",", ".")
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex only lets digits through
        raise ValueError(FEED_PRICE_RULE) from exc
    code = match["pre"] or match["post"]
    return amount, code.upper() if code else None


def _product_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if "/" in value or _CONTROL.search(value):
        raise ValueError("must not contain '/' or control characters")
    return value


def _http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https URL")
    return value


ProductId = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_product_id)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
CategoryName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AttributeValue = str | int | float | bool | list[str]


class Product(BaseModel):
    """One catalog item; ``productId`` equals the feed ``g:id`` and the tracked ``product_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    productId: ProductId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    url: HttpUrl | None = None
    image: HttpUrl | None = None
    price: Decimal = Field(ge=0, allow_inf_nan=False)
    oldPrice: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: CurrencyCode | None = None
    categoryPath: list[CategoryName] = Field(default_factory=list, max_length=MAX_CATEGORY_DEPTH)
    brand: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    inStock: bool = True
    attributes: dict[Annotated[str, Field(min_length=1, max_length=100)], AttributeValue] = Field(
        default_factory=dict, max_length=MAX_ATTRIBUTES
    )

    @field_validator("price", "oldPrice", mode="before")
    @classmethod
    def _price_text(cls, value: object, info: ValidationInfo) -> object:
        """A number or price text like ``"19.99"``, 0 or more; every refusal says the same
        (``PRODUCT_PRICE_RULE``), and a currency suffix belongs in ``currency``."""
        if value is None and info.field_name == "oldPrice":
            return value
        if isinstance(value, str):
            try:
                amount, code = parse_price(value)
            except ValueError:
                raise ValueError(PRODUCT_PRICE_RULE) from None
            if code:
                raise ValueError(PRODUCT_PRICE_RULE)
            return amount
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError(PRODUCT_PRICE_RULE)
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - str() of an int or float is a decimal
            raise ValueError(PRODUCT_PRICE_RULE) from None
        if not number.is_finite() or number < 0:
            raise ValueError(PRODUCT_PRICE_RULE)
        return number

    @field_serializer("price", "oldPrice", when_used="json")
    def _price_shown(self, value: Decimal | None) -> str | None:
        """In JSON, at least the currency's minor units (``79.5`` USD -> ``"79.50"``), never rounded."""
        return None if value is None else shown(value, self.currency)


@dataclass(frozen=True)
class StoredProduct:
    """A product as stored, with its write version and timestamps."""

    product: Product
    version: int
    created_at: str
    updated_at: str
    size: int = 0  # bytes of the stored item (write units of a replace)


@dataclass(frozen=True)
class Download:
    """A feed fetched by URL."""

    body: bytes
    content_type: str | None
    url: str  # after redirects
