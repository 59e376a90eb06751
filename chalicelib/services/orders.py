"""Order use cases beyond ingestion (which is ``services.ingest``): read an order as stored."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import NotFound
from chalicelib.ports import Ports


def get_order(ports: Ports, order_id: str) -> dict[str, Any]:
    order = ports.orders.load(order_id)
    if order is None:
        raise NotFound(f"No order {order_id!r}")
    return order
