"""Order models (eSputnik's Add orders shape) and the pure transition rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, model_validator

from chalicelib.clock import iso
from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.events.models import Identity
from chalicelib.orders.money import MONEY_RULE, CurrencyCode, amount, money, quantize
from chalicelib.validation import Email, Phone, Timestamp

OrderStatus = Literal["INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART"]
COUNTED = "DELIVERED"
# At equal order times the status further along wins (docs/data-model.md "Orders"): a terminal status over a
# non-terminal one, CANCELLED (a return) over DELIVERED; the same status again is a correction (it wins).
PRECEDENCE: dict[str, int] = {
    "ABANDONED_SHOPPING_CART": 0,
    "INITIALIZED": 1,
    "IN_PROGRESS": 2,
    "DELIVERED": 3,
    "CANCELLED": 4,
}
MAX_ORDERS_PER_REQUEST = 1000
MONEY_FIELDS = ("totalCost", "shipping", "discount", "taxes")
ORDER_TIME_RULE = (
    "The order's own time, which orders its messages: `updatedAt` when sent, else `date`. A message older than"
    " the order's stored state is ignored; at equal times the status further along wins (ABANDONED_SHOPPING_CART"
    " < INITIALIZED < IN_PROGRESS < DELIVERED < CANCELLED), and the same status again replaces the stored one"
)
ROUNDED = "rounded half up to the currency's minor units; " + MONEY_RULE


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    externalItemId: str = Field(min_length=1, max_length=128)
    quantity: int = Field(gt=0, le=100_000)
    name: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=500)
    cost: Decimal | None = Field(default=None, ge=0, description="Unit price after discounts, " + ROUNDED)
    url: str | None = Field(default=None, max_length=2000)
    imageUrl: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=2000)


class OrderIn(BaseModel):
    """One order in ``POST /v1/orders``; upserted by ``externalOrderId``.

    Amounts are exact decimals (a number or a decimal string), rounded half up to the currency's minor units."""

    model_config = ConfigDict(extra="forbid")

    externalOrderId: str = Field(min_length=1, max_length=128)
    externalId: str | None = Field(default=None, min_length=1, max_length=256, description="The customer")
    email: Email | None = None
    phone: Phone | None = None
    status: OrderStatus = Field(description="Only DELIVERED orders count in the contact's aggregates")
    date: Timestamp = Field(description="When the order was placed (ISO 8601). " + ORDER_TIME_RULE)
    updatedAt: Timestamp | None = Field(
        default=None,
        description="When the order reached this status (ISO 8601); send it on every message of an order whose"
        " messages may arrive out of order. " + ORDER_TIME_RULE,
    )
    totalCost: Decimal = Field(ge=0, description="The order's total, " + ROUNDED)
    currency: CurrencyCode
    items: list[OrderItem] = Field(default_factory=list, max_length=500)
    firstName: str | None = Field(default=None, max_length=100)
    lastName: str | None = Field(default=None, max_length=100)
    shipping: Decimal | None = Field(default=None, ge=0, description=ROUNDED)
    discount: Decimal | None = Field(default=None, ge=0, description=ROUNDED)
    taxes: Decimal | None = Field(default=None, ge=0, description=ROUNDED)
    deliveryMethod: str | None = Field(default=None, max_length=200)
    paymentMethod: str | None = Field(default=None, max_length=200)
    deliveryAddress: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, max_length=100)
    cartId: str | None = Field(default=None, max_length=128)
    additionalInfo: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _identified(self) -> OrderIn:
        if not (self.externalId or self.email or self.phone):
            raise ValueError("one of externalId, email or phone is required")
        return self

    @model_validator(mode="after")
    def _minor_units(self) -> OrderIn:
        """Amounts in the currency's minor units, so sums and what answers show agree to the cent."""
        for name in MONEY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, quantize(value, self.currency))
        for item in self.items:
            if item.cost is not None:
                item.cost = quantize(item.cost, self.currency)
        return self

    def identity(self) -> Identity:
        return Identity(externalId=self.externalId, email=self.email, phone=self.phone)


class OrdersRequest(BaseModel):
    """Body of ``POST /v1/orders``. Each order is validated on its own by the use case, so one bad order is
    rejected by index and never blocks the others: ``orders`` holds the raw JSON objects (``SkipValidation``),
    and ``OrderIn`` only describes them in the OpenAPI document."""

    model_config = ConfigDict(extra="forbid")

    orders: list[SkipValidation[OrderIn]] = Field(
        min_length=1,
        max_length=MAX_ORDERS_PER_REQUEST,
        description="Up to 1,000 orders; each is accepted or rejected (by index, with its errors) on its own",
    )

    def raw(self) -> list[Any]:
        """The orders as sent (JSON values, unvalidated)."""
        return list(self.orders)


def _legacy(order: dict[str, Any]) -> bool:
    """A version stored before ``processedAt``: its ``updatedAt`` is when Orbit processed it, not the client's."""
    return "ver" in order and "processedAt" not in order


def order_time(order: dict[str, Any]) -> datetime:
    """The order's own time (a message's or a stored version's): the ``updatedAt`` its client sent, else its
    ``date``. It orders an order's messages, and it is the time of the ``order<STATUS>`` event a change makes."""
    sent = None if _legacy(order) else order.get("updatedAt")
    return datetime.fromisoformat(sent or order["date"])


def processed_at(order: dict[str, Any]) -> datetime:
    """When Orbit stored this version of the order."""
    return datetime.fromisoformat(order.get("processedAt") or order["updatedAt"])


def supersedes(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    """True when message ``new`` becomes the order's state over the stored ``old``: it is newer by order time;
    at an equal time, its status is further along (``PRECEDENCE``) or the same (a correction). So a terminal
    status is never undone by an older message, and the state does not depend on the arrival order."""
    if old is None:
        return True
    new_time, old_time = order_time(new), order_time(old)
    if new_time != old_time:
        return new_time > old_time
    return PRECEDENCE[new["status"]] >= PRECEDENCE[old["status"]]


def contribution(order: dict[str, Any] | None) -> tuple[int, Decimal]:
    """What an order adds to order aggregates: only DELIVERED orders count."""
    if not order or order.get("status") != COUNTED:
        return 0, Decimal(0)
    return 1, amount(order["totalCost"])


def counted(order: dict[str, Any] | None) -> OrderDelta | None:
    """What a counting (DELIVERED) order adds to the aggregates; None for one that does not count."""
    count, total = contribution(order)
    if not count or order is None:
        return None
    return OrderDelta(count, total, order["currency"], datetime.fromisoformat(order["date"]))


def transition_delta(old: dict[str, Any] | None, new: dict[str, Any]) -> list[OrderDelta]:
    """Aggregate changes when an order moves from ``old`` to ``new`` (one per currency touched).

    A delta's ``left`` is the date of the counting version that goes: when it was the first or last order
    time, the bounds are recomputed from the contact's orders."""
    before, after = counted(old), counted(new)
    if before == after:
        return []
    if before is not None and after is not None and before.currency == after.currency:
        return [
            OrderDelta(
                0, after.revenue - before.revenue, after.currency, after.at, left=before.at, left_revenue=before.revenue
            )
        ]
    deltas = [OrderDelta(-1, -before.revenue, before.currency, None, left=before.at)] if before else []
    return deltas + ([after] if after else [])


STORED_ONLY = frozenset({"ver", "pk", "contact", "prev", "processedAt", "receivedAt"})


def _content(order: dict[str, Any]) -> dict[str, Any]:
    ignored = STORED_ONLY | ({"updatedAt"} if _legacy(order) else set())
    return {k: v for k, v in order.items() if k not in ignored}


def same_order(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """True when a resend carries nothing new (the upsert is a no-op)."""
    return old is not None and _content(old) == _content(new)


def shown(order: dict[str, Any]) -> dict[str, Any]:
    """A stored order as answers show it: money as decimal strings in the currency's minor units, and when it
    was last processed (``processedAt``) apart from the client's ``updatedAt``."""
    currency = order["currency"]
    result = {**order, "processedAt": iso(processed_at(order)), "version": order["ver"]}
    if _legacy(order):
        result.pop("updatedAt", None)
    for name in MONEY_FIELDS:
        if order.get(name) is not None:
            result[name] = money(order[name], currency)
    result["items"] = [shown_item(i, currency) for i in order.get("items", [])]
    return result


def shown_item(item: dict[str, Any], currency: str) -> dict[str, Any]:
    return {**item, "cost": money(item["cost"], currency)} if item.get("cost") is not None else dict(item)
