"""Product catalog API: upsert and read products, their price/stock history, and bulk feed imports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import Call, api_route
from chalicelib.catalog.feeds import FeedFormat, detect_format
from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Product, ProductId, StoredProduct
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput, UnsupportedMediaType
from chalicelib.services import catalog as service
from chalicelib.services import listing
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Catalog"
PRICE_POINTS = 100
FEED_TYPES = (
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "text/csv",
    "text/tab-separated-values",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/octet-stream",
)
FORM_TYPE = "application/x-www-form-urlencoded"  # curl's -d default: a raw upload only when `format` is given


class ProductIn(Product):
    """Body of ``PUT /v1/products/{productId}``: every product field; ``productId`` may be left out."""

    productId: ProductId | None = None  # type: ignore[assignment]


class ProductSaved(Product):
    created: bool = Field(description="True when this call created the product")
    createdAt: str
    updatedAt: str
    changes: list[ProductChange] = Field(description="Price and stock changes this call recorded")


class PricePoint(BaseModel):
    at: datetime
    price: Decimal
    currency: str | None = None


class ProductOut(Product):
    createdAt: str
    updatedAt: str
    priceHistory: list[PricePoint] = Field(description=f"Prices over time, oldest first (the last {PRICE_POINTS})")


class ProductListed(Product):
    createdAt: str
    updatedAt: str


class ProductPage(BaseModel):
    """A page of the product listing."""

    items: list[ProductListed] = Field(
        description="Products in storage order (unordered); may be fewer than `limit` while more follow"
    )
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null: the listing ended")


class ProductHistory(BaseModel):
    productId: str
    changes: list[ProductChange] = Field(description="Creation, price and stock changes, oldest first")


class ImportByUrl(BaseModel):
    """JSON body of ``POST /v1/products/import`` to download a feed instead of uploading it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="http(s) URL of the feed")
    format: Literal["jsonl", "csv", "xml"] | None = Field(
        default=None, description="Feed format; detected from the response's Content-Type, extension or content"
    )


def _fields(stored: StoredProduct) -> dict[str, Any]:
    return {
        **stored.product.model_dump(),
        "createdAt": stored.created_at,
        "updatedAt": stored.updated_at,
    }


@api_route(
    bp,
    "/v1/products/{productId}",
    "PUT",
    auth="secret",
    tag=TAG,
    body=ProductIn,
    response=ProductSaved,
    status=201,
    also=(200,),
    summary="Create (201) or replace (200) a product; price and stock changes are recorded as history",
)
def put_product(call: Call) -> Response:
    product_id = call.params["productId"]
    body = parse(ProductIn, call.body)
    if body.productId is not None and body.productId != product_id:
        raise InvalidInput(
            "The product id in the body does not match the path",
            [ErrorDetail("productId", f"must equal {product_id!r} or be left out")],
        )
    product = parse(Product, {**body.model_dump(exclude={"productId"}), "productId": product_id}, "product id")
    stored, created, changes = service.upsert_product(ports(), product_id, product)
    saved = ProductSaved(**_fields(stored), created=created, changes=changes)
    return Response(body=saved.model_dump(mode="json"), status_code=201 if created else 200)


@api_route(
    bp,
    "/v1/products/{productId}",
    "GET",
    auth="secret",
    tag=TAG,
    response=ProductOut,
    summary="A product with its price history",
)
def get_product(call: Call) -> ProductOut:
    stored = service.get_product(ports(), call.params["productId"])
    points = [
        PricePoint(at=c.at, price=c.newPrice, currency=c.newCurrency)
        for c in service.history(ports(), stored, PRICE_POINTS)
        if c.kind in ("created", "price_changed") and c.newPrice is not None
    ]
    return ProductOut(**_fields(stored), priceHistory=points)


@api_route(
    bp,
    "/v1/products",
    "GET",
    auth="secret",
    tag=TAG,
    response=ProductPage,
    query={
        "limit": "page size, 1-500 (default 50)",
        "cursor": "from the previous page's nextCursor (a cursor of another listing is a 400)",
        "category": "only products with this category at any level of categoryPath (exact name)",
        "inStock": "true or false",
    },
    summary="A page of products ({items, nextCursor}), unordered (a scan), filtered by category and stock",
)
def list_products(call: Call) -> ProductPage:
    limit = call.int_query("limit", 50, 1, 500)
    params = dict(call.request.query_params or {})
    filters = {k: v for k, v in params.items() if k in listing.PRODUCT_FILTERS and isinstance(v, str)}
    found, cursor = listing.products_page(ports(), limit, call.query("cursor"), filters)
    return ProductPage(items=[ProductListed(**_fields(p)) for p in found], nextCursor=cursor)


@api_route(
    bp,
    "/v1/products/{productId}/history",
    "GET",
    auth="secret",
    tag=TAG,
    response=ProductHistory,
    query={"limit": "the newest N changes, 1-1000 (default 100)"},
    summary="A product's creation, price and stock changes, oldest first",
)
def product_history(call: Call) -> ProductHistory:
    limit = call.int_query("limit", 100, 1, 1000)
    stored = service.get_product(ports(), call.params["productId"])
    return ProductHistory(productId=stored.product.productId, changes=service.history(ports(), stored, limit))


def _format(raw: str | None) -> FeedFormat | None:
    if raw is None:
        return None
    if raw not in ("jsonl", "csv", "xml"):
        raise InvalidInput("format is invalid", [ErrorDetail("format", "must be jsonl, csv or xml")])
    fmt: FeedFormat = raw  # type: ignore[assignment]
    return fmt


@api_route(
    bp,
    "/v1/products/import",
    "POST",
    auth="secret",
    tag=TAG,
    response=service.ImportResult,
    content_types=("application/json", *FEED_TYPES, FORM_TYPE),
    query={
        "format": (
            "jsonl, csv or xml: overrides the detected format of an uploaded feed; with it, a body sent as"
            f" {FORM_TYPE} (curl's -d default) is taken as the raw feed"
        )
    },
    summary=(
        "Import a product feed (JSON lines, CSV or Google Merchant XML): upload it as the body, or send "
        'JSON {"url": "https://...", "format"?: "jsonl|csv|xml"} to have Orbit download it. '
        "Bad rows are reported per row and never block good ones"
    ),
)
def import_products(call: Call) -> service.ImportResult:
    if isinstance(call.body, bytes):
        fmt = _format(call.query("format"))
        content_type = call.request.headers.get("content-type")
        if fmt is None and (content_type or "").split(";")[0].strip().lower() == FORM_TYPE:
            raise UnsupportedMediaType(
                f"A {FORM_TYPE} body is taken as a feed only with ?format=jsonl|csv|xml",
                [ErrorDetail("Content-Type", f"got {FORM_TYPE}: send a feed type, or add ?format=")],
            )
        if not call.body.strip():
            raise InvalidInput("The feed is empty", [ErrorDetail("$", "upload a feed as the request body")])
        return service.import_feed(ports(), call.body, fmt or detect_format(content_type, None, call.body[:4096]))
    request = parse(ImportByUrl, call.body)
    return service.import_feed_from_url(ports(), request.url, request.format)
