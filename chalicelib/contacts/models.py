"""Contact models: the HTTP input, the card returned to clients, channel identifiers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.orders.money import Money
from chalicelib.validation import Email, LanguageCode, Phone, TimeZoneName

ChannelType = Literal["mobilepush", "webpush", "telegram", "viber", "appinbox"]
STANDARD_FIELDS = ("email", "phone", "firstName", "lastName", "languageCode", "timeZone", "address")


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    town: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=300)
    postcode: str | None = Field(default=None, max_length=20)


class ChannelIdentifier(BaseModel):
    """A push token, web push subscription, Telegram chat id, Viber id or app inbox id."""

    model_config = ConfigDict(extra="forbid")

    type: ChannelType
    value: str = Field(min_length=1, max_length=4096)
    appId: str | None = Field(default=None, max_length=200)
    device: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = Field(default=None, description="Web push subscription (endpoint, keys)")
    active: bool = True


class ContactIn(BaseModel):
    """Body of ``PUT /v1/contacts/{externalId}``.

    Partial update: a field that is absent keeps its stored value; ``null`` clears it. ``fields`` is
    merged key by key (``null`` removes one additional field); ``channels``, when present, replaces
    the list of channel identifiers.
    """

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    phone: Phone | None = None
    firstName: str | None = Field(default=None, max_length=100)
    lastName: str | None = Field(default=None, max_length=100)
    languageCode: LanguageCode | None = None
    timeZone: TimeZoneName | None = None
    address: Address | None = None
    channels: list[ChannelIdentifier] | None = Field(default=None, max_length=50)
    fields: dict[str, Any] | None = Field(default=None, description="Additional fields by declared name")


class OrderAggregates(BaseModel):
    """The order part of the card's ``aggregates``: DELIVERED orders only, each in its own currency."""

    orderCount: int = Field(description="Delivered orders, all currencies (the sum of `orderCounts`)")
    orderCounts: dict[str, int] = Field(description="Delivered orders per currency; a currency with none is absent")
    revenue: dict[str, Money] = Field(description="Delivered revenue per currency")
    averageOrderValue: dict[str, Money] = Field(
        description="Per currency: its revenue divided by its own order count, in its minor units (half up)"
    )
    firstOrderAt: str | None = Field(description="The earliest `date` of the delivered orders (none: null)")
    lastOrderAt: str | None = Field(description="The latest `date` of the delivered orders (none: null)")


def _document_orders(schema: dict[str, Any]) -> None:
    """The card's ``aggregates`` stay a plain object whose other keys keep their free shape; the OpenAPI
    document names its order fields (``OrderAggregates``). Run when the document is built, never at import."""
    orders = OrderAggregates.model_json_schema()
    schema["properties"], schema["required"] = orders["properties"], orders["required"]
    schema["description"] = "Aggregates kept on the contact; the order fields count DELIVERED orders only"


class MergeRecord(BaseModel):
    """One known contact merged into this one (``POST /v1/contacts/{externalId}/merge``)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: str = Field(
        alias="from", description="External ID of the contact merged in (it is an alias of this one now)"
    )
    by: str = Field(description="The name of the API key that asked")
    keyPrefix: str | None = Field(default=None, description="The first characters of that key")
    requestId: str | None = Field(default=None, description="The request that asked (its `X-Request-Id`)")
    requestedAt: str
    mergedAt: str


class Membership(BaseModel):
    """A list or segment the contact is in."""

    id: str
    since: str | None = Field(default=None, description="When it was added (list) or entered (segment)")


class ContactCard(BaseModel):
    """What ``GET /v1/contacts/{externalId}`` returns."""

    externalId: str
    email: str | None = None
    phone: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    languageCode: str | None = None
    timeZone: str | None = None
    address: dict[str, Any] | None = None
    channels: list[dict[str, Any]] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)
    consent: dict[str, Any] = Field(
        default_factory=dict,
        description="Per channel `{status, at, source}` (no entry: subscribed) and `categories`; see docs/consent.md",
    )
    anonymousIds: list[str] = Field(default_factory=list)
    mergeHistory: list[MergeRecord] = Field(
        default_factory=list, description="Known contacts merged into this one, oldest first: from, by, when"
    )
    createdAt: str
    updatedAt: str
    aggregates: dict[str, Any] = Field(default_factory=dict, json_schema_extra=_document_orders)
    lists: list[Membership] | None = Field(
        default=None, description="The lists it is in (shown on `GET /v1/contacts/{externalId}` only)"
    )
    segments: list[Membership] | None = Field(
        default=None, description="The dynamic segments it is a member of (`GET /v1/contacts/{externalId}` only)"
    )


class ContactList(BaseModel):
    contacts: list[ContactCard] = Field(
        description="The contacts holding the identifier, the one it resolves to (`resolvesTo`) first"
    )
    resolvesTo: str | None = Field(
        default=None,
        description=(
            "External ID of the contact events and orders naming only this identifier are applied to (null: none,"
            " they go to a provisional profile); it may be a contact that took the identifier in by a merge"
        ),
    )


class UpsertResult(BaseModel):
    externalId: str
    created: bool
