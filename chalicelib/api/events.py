"""Server ingestion API: events and orders, validated at the edge and queued."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.events.models import EventsAccepted, EventsRequest
from chalicelib.orders.models import OrdersRequest
from chalicelib.services.ingest import accept_events, accept_orders
from chalicelib.services.orders import get_order as load_order
from chalicelib.validation import parse

bp = Blueprint(__name__)


class StoredOrder(BaseModel):
    externalOrderId: str
    status: str
    totalCost: float
    currency: str
    date: str
    items: list[dict[str, object]] = []
    updatedAt: str
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
    summary="Upsert up to 1,000 orders by externalOrderId; each status change is an event",
)
def post_orders(call: Call) -> EventsAccepted:
    request = parse(OrdersRequest, call.body)
    return accept_orders(ports(), request.orders)


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
    return StoredOrder.model_validate({**order, "version": order["ver"]})
