"""Contact models: the HTTP input, the card returned to clients, channel identifiers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    anonymousIds: list[str] = Field(default_factory=list)
    createdAt: str
    updatedAt: str
    aggregates: dict[str, Any] = Field(default_factory=dict)


class ContactList(BaseModel):
    contacts: list[ContactCard]


class UpsertResult(BaseModel):
    externalId: str
    created: bool
