"""Order models (eSputnik's Add orders shape) and the pure transition rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.contacts.aggregates import OrderDelta
from chalicelib.events.models import Identity
from chalicelib.validation import Email, Phone

OrderStatus = Literal["INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART"]
COUNTED = "DELIVERED"
MAX_ORDERS_PER_REQUEST = 1000


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    externalItemId: str = Field(min_length=1, max_length=128)
    quantity: int = Field(gt=0, le=100_000)
    name: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=500)
    cost: Decimal | None = Field(default=None, ge=0, description="Unit price after discounts")
    url: str | None = Field(default=None, max_length=2000)
    imageUrl: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=2000)


class OrderIn(BaseModel):
    """One order in ``POST /v1/orders``; upserted by ``externalOrderId``."""

    model_config = ConfigDict(extra="forbid")

    externalOrderId: str = Field(min_length=1, max_length=128)
    externalId: str | None = Field(default=None, min_length=1, max_length=256, description="The customer")
    email: Email | None = None
    phone: Phone | None = None
    status: OrderStatus
    date: datetime
    totalCost: Decimal = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    items: list[OrderItem] = Field(default_factory=list, max_length=500)
    firstName: str | None = Field(default=None, max_length=100)
    lastName: str | None = Field(default=None, max_length=100)
    shipping: Decimal | None = Field(default=None, ge=0)
    discount: Decimal | None = Field(default=None, ge=0)
    taxes: Decimal | None = Field(default=None, ge=0)
    deliveryMethod: str | None = Field(default=None, max_length=200)
    paymentMethod: str | None = Field(default=None, max_length=200)
    deliveryAddress: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, max_length=100)
    cartId: str | None = Field(default=None, max_length=128)
    additionalInfo: dict[str, Any] | None = None

    @field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _identified(self) -> OrderIn:
        if not (self.externalId or self.email or self.phone):
            raise ValueError("one of externalId, email or phone is required")
        return self

    def identity(self) -> Identity:
        return Identity(externalId=self.externalId, email=self.email, phone=self.phone)


class OrdersRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ORDERS_PER_REQUEST)


def contribution(order: dict[str, Any] | None) -> tuple[int, Decimal]:
    """What an order adds to order aggregates: only DELIVERED orders count."""
    if not order or order.get("status") != COUNTED:
        return 0, Decimal(0)
    return 1, Decimal(str(order["totalCost"]))


def transition_delta(old: dict[str, Any] | None, new: dict[str, Any]) -> list[OrderDelta]:
    """Aggregate changes when an order moves from ``old`` to ``new`` (one per currency touched)."""
    old_count, old_total = contribution(old)
    new_count, new_total = contribution(new)
    at = datetime.fromisoformat(new["date"]) if new_count else None
    if old and old.get("currency") != new["currency"] and old_count:
        return [
            OrderDelta(-old_count, -old_total, old["currency"], None),
            OrderDelta(new_count, new_total, new["currency"], at),
        ]
    if (old_count, old_total) == (new_count, new_total):
        return []
    return [OrderDelta(new_count - old_count, new_total - old_total, new["currency"], at)]


def same_order(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """True when a resend carries nothing new (the upsert is a no-op)."""
    if old is None:
        return False
    ignored = {"ver", "updatedAt", "contact", "pk", "receivedAt", "prev"}
    return {k: v for k, v in old.items() if k not in ignored} == {k: v for k, v in new.items() if k not in ignored}
