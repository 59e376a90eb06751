"""What a template sees when it renders: the contact's card, its additional fields, the triggering event's
properties, workflow variables, and up to six trigger and six recommended products (as eSputnik does).

``RenderContext`` is the model the sending paths build (``context_for``) and the preview's ``sample`` is
validated with. Absent parts are empty, never missing: ``contact.address``, ``fields``, ``event`` and ``vars``
are always mappings and ``products``/``recommended`` lists, so a lookup one level into them renders empty
rather than failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.validation import LanguageCode

MAX_PRODUCTS = 6


class ContextProduct(BaseModel):
    """A product in a product block: these fields, and any others given (kept as they are)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    name: str | None = None
    price: str | int | float | None = Field(default=None, description='As the catalog shows it: "59.90"')
    currency: str | None = None
    url: str | None = None
    imageUrl: str | None = None


class SampleContact(BaseModel):
    """A contact card as ``GET /v1/contacts/{externalId}`` answers it (every part optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    externalId: str | None = None
    email: str | None = None
    phone: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    languageCode: LanguageCode | None = None
    timeZone: str | None = None
    address: dict[str, Any] | None = None
    channels: list[dict[str, Any]] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)
    anonymousIds: list[str] = Field(default_factory=list)
    mergeHistory: list[dict[str, Any]] = Field(default_factory=list)
    createdAt: str | None = None
    updatedAt: str | None = None
    aggregates: dict[str, Any] = Field(default_factory=dict)
    lists: list[dict[str, Any]] | None = None
    segments: list[dict[str, Any]] | None = None


class RenderContext(BaseModel):
    """Everything a template may read. ``fields`` are the contact's additional fields (also ``contact.fields``);
    given both, ``fields`` wins key by key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: SampleContact = Field(default_factory=SampleContact)
    fields: dict[str, Any] = Field(default_factory=dict)
    event: dict[str, Any] = Field(default_factory=dict, description="The triggering event's properties")
    vars: dict[str, Any] = Field(default_factory=dict, description="Workflow variables")
    products: list[ContextProduct] = Field(default_factory=list, max_length=MAX_PRODUCTS)
    recommended: list[ContextProduct] = Field(default_factory=list, max_length=MAX_PRODUCTS)

    @property
    def language_code(self) -> str | None:
        return self.contact.languageCode

    def variables(self) -> dict[str, Any]:
        """The names a template reads, as plain data (absent card parts left out, so ``default`` applies)."""
        fields = {**self.contact.fields, **self.fields}
        contact = {k: v for k, v in self.contact.model_dump(mode="json").items() if v is not None}
        contact["address"] = contact.get("address") or {}
        contact["fields"] = fields
        return {
            "contact": contact,
            "fields": fields,
            "event": dict(self.event),
            "vars": dict(self.vars),
            "products": [p.model_dump(mode="json") for p in self.products],
            "recommended": [p.model_dump(mode="json") for p in self.recommended],
        }


def context_for(
    card: Mapping[str, Any] | None = None,
    *,
    event: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    products: Sequence[Mapping[str, Any]] = (),
    recommended: Sequence[Mapping[str, Any]] = (),
) -> RenderContext:
    """A context from a contact card (``ContactCard.model_dump()``) and what the send knows; products beyond the
    first six of each block are left out."""
    return RenderContext(
        contact=SampleContact.model_validate(
            {k: v for k, v in (card or {}).items() if k in SampleContact.model_fields}
        ),
        event=dict(event or {}),
        vars=dict(variables or {}),
        products=[ContextProduct.model_validate(p) for p in list(products)[:MAX_PRODUCTS]],
        recommended=[ContextProduct.model_validate(p) for p in list(recommended)[:MAX_PRODUCTS]],
    )
