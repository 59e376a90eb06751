"""The segment rule language's conditions: the models of every leaf kind and group, and the operators and
limits they accept.

A rule is a tree. Groups (``all``, ``any``, ``not``) nest to any depth; leaves are one of the condition kinds
below, told apart by the key that names them (``field``, ``event``, ``orders``, ``message``, ``inList``,
``inSegment``, ``channel``). Reading a tree from JSON: ``chalicelib.segments.rule_tree``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.validation import UtcDatetime

MAX_EVENT_DAYS = 366
MAX_EVENT_HOURS = 168

ValueOp = Literal[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "contains",
    "startsWith",
    "endsWith",
    "in",
    "notIn",
    "isSet",
    "isEmpty",
]
DateOp = Literal["before", "after", "withinLast", "withinNext", "anniversaryWithin"]
FieldOp = Literal[ValueOp, DateOp]
CountOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "between"]
NO_VALUE_OPS = ("isSet", "isEmpty")
DAYS_OPS = ("withinLast", "withinNext", "anniversaryWithin")
LIST_OPS = ("in", "notIn")
MessageActivity = Literal["sent", "delivered", "opened", "clicked", "unsubscribed"]
Channel = Literal["email", "sms", "mobilepush", "webpush", "appinbox", "viber", "telegram"]
OrderMeasure = Literal["count", "revenue", "averageOrderValue", "lastOrderAt", "firstOrderAt"]
# the event type each message activity is logged as (the messaging issue emits these, property ``channel``)
MESSAGE_EVENTS: dict[str, str] = {
    "sent": "Message Sent",
    "delivered": "Message Delivered",
    "opened": "Message Opened",
    "clicked": "Message Clicked",
    "unsubscribed": "Message Unsubscribed",
}
STANDARD_FIELDS = (
    "externalId",
    "email",
    "phone",
    "firstName",
    "lastName",
    "languageCode",
    "timeZone",
    "address.country",
    "address.region",
    "address.town",
    "address.postcode",
    "createdAt",
    "updatedAt",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(Strict):
    """A rolling window ending now: the current UTC day and the ``days - 1`` before it, or the current UTC hour
    and the ``hours - 1`` before it."""

    days: int | None = Field(default=None, ge=1, le=MAX_EVENT_DAYS)
    hours: int | None = Field(default=None, ge=1, le=MAX_EVENT_HOURS)

    @model_validator(mode="after")
    def _one(self) -> Window:
        if (self.days is None) == (self.hours is None):
            raise ValueError("give either days or hours")
        return self


class Between(Strict):
    """A fixed period: ``from`` inclusive, ``to`` exclusive (ISO 8601 times; no offset means UTC)."""

    from_: UtcDatetime = Field(alias="from")
    to: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Between:
        if self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class Ago(Strict):
    """``olderThan`` / ``newerThan`` an amount of time before now (exactly one of them)."""

    olderThan: Window | None = None
    newerThan: Window | None = None

    @model_validator(mode="after")
    def _one(self) -> Ago:
        if (self.olderThan is None) == (self.newerThan is None):
            raise ValueError("give either olderThan or newerThan")
        return self


class Comparison(Strict):
    """A number compared: ``{"op": "gte", "value": 3}`` or ``{"op": "between", "value": [2, 5]}`` (inclusive)."""

    op: CountOp
    value: int | float | list[int | float]

    @model_validator(mode="after")
    def _shape(self) -> Comparison:
        _check_between(self.op, self.value)
        return self


class PropertyFilter(Strict):
    """One test on an event property: ``{"property": "category", "op": "eq", "value": "Shoes"}``."""

    property: str = Field(min_length=1, max_length=200, description="Property name; `a.b` reads a nested one")
    op: ValueOp
    value: Any = None

    @model_validator(mode="after")
    def _shape(self) -> PropertyFilter:
        _check_value(self.op, self.value)
        return self


class FieldCondition(Strict):
    """A contact field: a standard one (`email`, `address.town`, `createdAt`...) or `fields.<declared name>`."""

    field: str = Field(min_length=1, max_length=100)
    op: FieldOp
    value: Any = None
    days: int | None = Field(default=None, ge=0, le=3660, description="For withinLast, withinNext, anniversaryWithin")

    @field_validator("field")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in STANDARD_FIELDS and not (name.startswith("fields.") and len(name) > 7):
            raise ValueError(f"must be a standard field ({', '.join(STANDARD_FIELDS)}) or fields.<name>")
        return name

    @model_validator(mode="after")
    def _shape(self) -> FieldCondition:
        if self.op in DAYS_OPS:
            if self.days is None:
                raise ValueError(f"{self.op} needs days")
            if self.value is not None:
                raise ValueError(f"{self.op} takes days, not value")
        elif self.days is not None:
            raise ValueError(f"days applies to {', '.join(DAYS_OPS)} only")
        elif self.op in ("before", "after"):
            if not isinstance(self.value, str):
                raise ValueError(f"{self.op} needs a date or time value (ISO 8601)")
            _parse_time(self.value)
        else:
            _check_value(self.op, self.value)
        return self


class EventCondition(Strict):
    """Events of one type, optionally filtered by properties, counted in a window or a period, or tested on the
    time of their first or last occurrence."""

    event: str = Field(min_length=1, max_length=100)
    where: list[PropertyFilter] = Field(default_factory=list, max_length=10)
    count: Comparison = Field(default_factory=lambda: Comparison(op="gte", value=1))
    within: Window | None = None
    between: Between | None = None
    first: Ago | None = Field(default=None, description="When the first occurrence was, relative to now")
    last: Ago | None = Field(default=None, description="When the last occurrence was, relative to now")

    @model_validator(mode="after")
    def _one_period(self) -> EventCondition:
        if self.within is not None and self.between is not None:
            raise ValueError("give within or between, not both")
        return self


class OrdersCondition(Strict):
    """Delivered orders: how many, how much, the average, or when the first or last one was."""

    orders: OrderMeasure
    op: CountOp | Literal["before", "after", "isSet", "isEmpty"] | None = None
    value: Any = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$", description="Money in this currency only")
    within: Window | None = Field(default=None, description="Orders dated in this window (count and revenue)")
    ago: Ago | None = Field(default=None, description="For lastOrderAt/firstOrderAt: relative to now")

    @field_validator("currency")
    @classmethod
    def _upper(cls, code: str | None) -> str | None:
        return code.upper() if code else code

    @model_validator(mode="after")
    def _shape(self) -> OrdersCondition:
        timed = self.orders in ("lastOrderAt", "firstOrderAt")
        if timed:
            if self.within is not None or self.currency is not None:
                raise ValueError(f"{self.orders} takes op before/after/isSet/isEmpty or ago, not within or currency")
            if (self.op is None) == (self.ago is None):
                raise ValueError(f"{self.orders} needs either op or ago")
            if self.op is not None and self.op not in ("before", "after", "isSet", "isEmpty"):
                raise ValueError(f"{self.orders} compares with before, after, isSet or isEmpty")
            if self.op in ("before", "after"):
                if not isinstance(self.value, str):
                    raise ValueError(f"{self.op} needs a date or time value (ISO 8601)")
                _parse_time(self.value)
            return self
        if self.ago is not None:
            raise ValueError("ago applies to lastOrderAt and firstOrderAt only")
        if self.op is None or self.op in ("before", "after", "isSet", "isEmpty"):
            raise ValueError(f"{self.orders} compares with eq, ne, gt, gte, lt, lte or between")
        _check_between(self.op, self.value)
        if self.within is not None and self.orders == "averageOrderValue":
            raise ValueError("within applies to count and revenue")
        if self.within is not None and self.within.hours is not None:
            raise ValueError("order windows are in days (orders are counted per UTC day)")
        return self


class MessageCondition(Strict):
    """Message activity on a channel (all channels when absent), counted in a window."""

    message: MessageActivity
    channel: Channel | None = None
    count: Comparison = Field(default_factory=lambda: Comparison(op="gte", value=1))
    within: Window | None = None


class ListCondition(Strict):
    inList: str = Field(min_length=1, max_length=64, description="The list's id")


class SegmentCondition(Strict):
    inSegment: str = Field(min_length=1, max_length=64, description="Another segment's id (no cycles)")


class ChannelCondition(Strict):
    """Whether the contact can be reached on a channel (``available``: it has the address or an active
    identifier), and whether it is subscribed there (available and not unsubscribed)."""

    channel: Channel
    status: Literal["available", "unavailable", "subscribed", "unsubscribed"] = "available"


class AllGroup(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyGroup(Strict):
    any: list[Condition] = Field(min_length=1)


class NotGroup(Strict):
    not_: Condition = Field(alias="not")


Leaf = (
    FieldCondition
    | EventCondition
    | OrdersCondition
    | MessageCondition
    | ListCondition
    | SegmentCondition
    | ChannelCondition
)
Condition = AllGroup | AnyGroup | NotGroup | Leaf
LEAVES: dict[str, type[BaseModel]] = {
    "field": FieldCondition,
    "event": EventCondition,
    "orders": OrdersCondition,
    "message": MessageCondition,
    "inList": ListCondition,
    "inSegment": SegmentCondition,
    "channel": ChannelCondition,
}
GROUPS = ("all", "any", "not")
KINDS = (*GROUPS, *LEAVES)


def _check_between(op: str, value: Any) -> None:
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2):
            raise ValueError("between needs value [low, high]")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value) or value[0] > value[1]:
            raise ValueError("between needs two numbers, low first")
    elif not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{op} needs a number value")


def _check_value(op: str, value: Any) -> None:
    if op in NO_VALUE_OPS:
        if value is not None:
            raise ValueError(f"{op} takes no value")
    elif op in LIST_OPS:
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise ValueError(f"{op} needs a list of 1-1000 values")
    elif op == "between":
        if not (isinstance(value, list) and len(value) == 2 and value[0] is not None and value[1] is not None):
            raise ValueError("between needs value [low, high]")
    elif op in ("contains", "startsWith", "endsWith"):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{op} needs a non-empty string value")
    elif value is None or isinstance(value, dict | list):
        raise ValueError(f"{op} needs a single value (string, number, boolean or date)")


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time") from exc


for _model in (AllGroup, AnyGroup, NotGroup):
    _model.model_rebuild()
