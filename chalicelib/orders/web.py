"""Web purchases: an ``Order Completed`` event tracked on the site is a DELIVERED order keyed by its order id."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError, model_validator

from chalicelib.events.models import Event
from chalicelib.orders.models import OrderIn

log = logging.getLogger("orbit.orders")


class _WebOrder(OrderIn):
    """A purchase tracked on the site: an anonymous visitor's order is kept on their profile."""

    @model_validator(mode="after")
    def _identified(self) -> _WebOrder:
        return self


def order_from_event(event: Event) -> dict[str, Any] | None:
    """The order an ``Order Completed`` event describes, as stored; None when it names no valid order."""
    props = event.properties
    order_id = props.get("order_id") or props.get("orderId")
    if not order_id:
        return None
    raw = props.get("products")
    products: list[Any] = raw if isinstance(raw, list) else []
    items = [
        {
            "externalItemId": str(p.get("product_id") or p.get("sku")),
            "quantity": int(p.get("quantity") or 1),
            **({"cost": p["price"]} if p.get("price") is not None else {}),
            **({"name": p["name"]} if p.get("name") else {}),
        }
        for p in products
        if isinstance(p, dict) and (p.get("product_id") or p.get("sku"))
    ]
    total = props.get("total") or props.get("revenue")
    if total is None:
        total = sum(float(i.get("cost", 0)) * i["quantity"] for i in items)
    try:
        order = _WebOrder(
            externalOrderId=str(order_id),
            externalId=event.identity.externalId,
            email=event.identity.email,
            phone=event.identity.phone,
            status="DELIVERED",
            date=event.timestamp,
            totalCost=total,
            currency=str(props.get("currency") or "USD").upper(),
            items=items,
            source="web",
            cartId=props.get("cart_id"),
        )
    except ValidationError as exc:
        log.warning("web order %s is not a valid order: %s", order_id, exc)
        return None
    return order.model_dump(mode="json", exclude_none=True)
