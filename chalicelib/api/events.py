"""Server ingestion API: events and orders, validated at the edge and queued."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.contacts.record import ContactRecord
from chalicelib.deps import ports
from chalicelib.events.models import EventsAccepted, EventsRequest
from chalicelib.orders.models import OrdersRequest, shown
from chalicelib.orders.money import Money
from chalicelib.services import listing
from chalicelib.services.ingest import accept_events, accept_orders
from chalicelib.services.orders import get_order as load_order
from chalicelib.validation import parse

bp = Blueprint(__name__)


class StoredOrderItem(BaseModel):
    externalItemId: str
    quantity: int
    name: str | None = None
    category: str | None = None
    cost: Money | None = Field(default=None, description="Unit price after discounts")
    url: str | None = None
    imageUrl: str | None = None
    description: str | None = None


class StoredOrder(BaseModel):
    """An order as last stored; money as decimal strings in the currency's minor units."""

    externalOrderId: str
    externalId: str | None = None
    email: str | None = None
    phone: str | None = None
    status: str
    date: str = Field(description="When the order was placed, as sent")
    updatedAt: str | None = Field(default=None, description="When the order reached its status, as sent (if sent)")
    processedAt: str = Field(description="When Orbit stored this version")
    totalCost: Money
    currency: str
    shipping: Money | None = None
    discount: Money | None = None
    taxes: Money | None = None
    items: list[StoredOrderItem] = []
    version: int


@api_route(
    bp,
    "/v1/events",
    "POST",
    auth="secret",
    tag="Events",
    body=EventsRequest,
    response=EventsAccepted,
    status=202,
    summary="Up to 500 events; each is accepted or rejected with its errors",
)
def post_events(call: Call) -> EventsAccepted:
    request = parse(EventsRequest, call.body)
    return accept_events(ports(), request.events)


@api_route(
    bp,
    "/v1/orders",
    "POST",
    auth="secret",
    tag="Orders",
    body=OrdersRequest,
    response=EventsAccepted,
    status=202,
    summary=(
        "Upsert up to 1,000 orders by externalOrderId; a message older than the order's stored state (by"
        " `updatedAt`, else `date`) is ignored; each status change is an event"
    ),
)
def post_orders(call: Call) -> EventsAccepted:
    request = parse(OrdersRequest, call.body)
    return accept_orders(ports(), request.raw())


@api_route(
    bp,
    "/v1/orders/{externalOrderId}",
    "GET",
    auth="secret",
    tag="Orders",
    response=StoredOrder,
    summary="An order as last stored",
)
def get_order(call: Call) -> StoredOrder:
    order = load_order(ports(), call.params["externalOrderId"])
    return StoredOrder.model_validate(shown(order))


class OrdersPage(BaseModel):
    """A page of an order listing."""

    items: list[StoredOrder] = Field(
        description="Orders in storage order (unordered); may be fewer than `limit` while more follow"
    )
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null: the listing ended")


def order_page(call: Call, filters: dict[str, str], contact: ContactRecord | None = None) -> dict[str, Any]:
    """One page of orders as ``OrdersPage`` data (shared with ``GET /v1/contacts/{externalId}/orders``)."""
    limit = call.int_query("limit", 50, 1, 500)
    found, cursor = listing.orders_page(ports(), limit, call.query("cursor"), filters, contact)
    return {"items": [StoredOrder.model_validate(shown(o)) for o in found], "nextCursor": cursor}


@api_route(
    bp,
    "/v1/orders",
    "GET",
    auth="secret",
    tag="Orders",
    response=OrdersPage,
    query={
        "limit": "page size, 1-500 (default 50)",
        "cursor": "from the previous page's nextCursor (a cursor of another listing is a 400)",
        "contact": "only this contact's orders (External ID; with those of profiles merged into it)",
        "status": "only orders with this status",
        "dateFrom": "placed (`date`) at or after this ISO 8601 time",
        "dateTo": "placed (`date`) at or before this ISO 8601 time",
    },
    summary=(
        "A page of stored orders ({items, nextCursor}), unordered (a scan; by contact: its index), filtered by"
        " contact, status and placing time"
    ),
)
def list_orders(call: Call) -> OrdersPage:
    params = dict(call.request.query_params or {})
    filters = {k: v for k, v in params.items() if k in listing.ORDER_FILTERS and isinstance(v, str)}
    return OrdersPage.model_validate(order_page(call, filters))
