"""Contacts API: the contact card, lookup, merge, deletion/erasure, activity, bulk import."""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from chalicelib.api.events import OrdersPage, order_page
from chalicelib.api.http import Call, api_route
from chalicelib.clock import iso
from chalicelib.contacts.imports import ImportAccepted, ImportRequest, ImportStatus
from chalicelib.contacts.models import ContactCard, ContactIn, ContactList
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.events.models import Event
from chalicelib.services import contacts as service
from chalicelib.services import imports, lifecycle, listing
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Contacts"


class ActivityItem(BaseModel):
    eventId: str
    type: str
    timestamp: str
    receivedAt: str
    source: str
    properties: dict[str, object]
    context: dict[str, object]

    @classmethod
    def of(cls, event: Event) -> ActivityItem:
        return cls(
            eventId=event.eventId,
            type=event.type,
            timestamp=iso(event.timestamp),
            receivedAt=iso(event.receivedAt),
            source=event.source,
            properties=event.properties,
            context=event.context,
        )


class ActivityPage(BaseModel):
    events: list[ActivityItem]
    nextCursor: str | None = Field(default=None, description="Pass as `cursor` for the next page")


class Deleted(BaseModel):
    externalId: str
    erased: bool
    eventsDeleted: int = Field(description="Activity rows deleted (the contact's and those of what was merged into it)")
    ordersDeleted: int = Field(default=0, description="Orders deleted (placed by the contact or a merged profile)")
    profilesDeleted: int = Field(
        default=0, description="Merged profiles, anonymous ids, merged contacts and links deleted with it"
    )
    identifiersSuppressed: int = Field(
        default=0,
        description="erase=true: identifiers (External IDs, emails, phones, anonymous ids) put on the suppression list",
    )


class MergeRequest(BaseModel):
    """Body of ``POST /v1/contacts/{externalId}/merge``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, max_length=256, description="External ID of the contact to merge in")


class MergeAccepted(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    externalId: str = Field(description="The contact that stays")
    from_: str = Field(alias="from", description="The contact merged into it")
    status: str = Field(description="`queued`: the consumer applies it exactly once, usually within seconds")
    requestId: str | None = Field(default=None, description="Recorded with the merge in the card's mergeHistory")
    effects: list[str] = Field(description="What the merge will do")


@api_route(
    bp,
    "/v1/contacts/{externalId}",
    "PUT",
    auth="secret",
    tag=TAG,
    body=ContactIn,
    response=ContactCard,
    status=201,
    also=(200,),
    summary="Create (201) or partially update (200) a contact by its immutable External ID",
)
def put_contact(call: Call) -> Response:
    body = parse(ContactIn, call.body)
    rec, created = service.upsert(ports(), call.params["externalId"], body, explicit=True)
    card = service.card(ports(), rec)
    return Response(body=card.model_dump(mode="json"), status_code=201 if created else 200)


@api_route(
    bp,
    "/v1/contacts/{externalId}",
    "GET",
    auth="secret",
    tag=TAG,
    response=ContactCard,
    summary="The contact card with computed aggregates",
)
def get_contact(call: Call) -> ContactCard:
    rec = service.get(ports(), call.params["externalId"])
    return service.with_memberships(ports(), service.card(ports(), rec), rec)


@api_route(
    bp,
    "/v1/contacts/{externalId}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=Deleted,
    query={"erase": "true to also suppress the identifiers (GDPR): sources that resend them are ignored until a PUT"},
    summary=(
        "Delete a contact with its activity, orders and merged profiles; erase=true also suppresses its identifiers"
    ),
)
def delete_contact(call: Call) -> Deleted:
    erase = (call.query("erase") or "false").lower()
    if erase not in ("true", "false"):
        raise InvalidInput("erase must be true or false", [ErrorDetail("erase", f"got {erase!r}")])
    return Deleted.model_validate(lifecycle.delete(ports(), call.params["externalId"], erase == "true"))


class ContactPage(BaseModel):
    """A page of the contact listing (``GET /v1/contacts`` without ``email``/``phone``)."""

    items: list[ContactCard] = Field(
        description="Known contacts in storage order (unordered); may be fewer than `limit` while more follow"
    )
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null: the listing ended")


class ContactsAnswer(RootModel[ContactList | ContactPage]):
    """``GET /v1/contacts``: with ``email`` or ``phone`` a lookup (``ContactList``), else a listing page."""


PAGE_QUERY = {
    "limit": "page size, 1-500 (default 50)",
    "cursor": "from the previous page's nextCursor (a cursor of another listing is a 400)",
}
_UNENCODED_PLUS = re.compile(r" \d")


def phone_query(raw: str | None) -> str | None:
    """A phone sent unencoded (``?phone=+380...``) arrives with its ``+`` decoded as a space: take it back."""
    if raw is not None and _UNENCODED_PLUS.match(raw):
        return "+" + raw[1:]
    return raw


def filters_of(call: Call, names: tuple[str, ...], prefix: str | None = None) -> dict[str, str]:
    """The listing filters among the query parameters (and every ``<prefix>...`` one)."""
    params = dict(call.request.query_params or {})
    return {
        name: value
        for name, value in params.items()
        if isinstance(value, str) and (name in names or (prefix is not None and name.startswith(prefix)))
    }


@api_route(
    bp,
    "/v1/contacts",
    "GET",
    auth="secret",
    tag=TAG,
    response=ContactsAnswer,
    query={
        "email": "find by email (a lookup: answers ContactList)",
        "phone": "find by phone (E.164; an unencoded `+` that arrived as a space is taken back)",
        **PAGE_QUERY,
        "createdAfter": "listing: created at or after this ISO 8601 time",
        "createdBefore": "listing: created at or before this ISO 8601 time",
        "updatedAfter": "listing: updated at or after this ISO 8601 time",
        "updatedBefore": "listing: updated at or before this ISO 8601 time",
        "field.<name>": "listing: the declared additional field equals the value (a stringList field: contains it)",
    },
    summary=(
        "With email or phone: the contacts holding it and the one it resolves to. Without: a page of known"
        " contacts ({items, nextCursor}), unordered (a scan), filtered by created/updated times and"
        " field.<name>=<value>"
    ),
)
def find_contacts(call: Call) -> ContactsAnswer:
    email, phone = call.query("email"), phone_query(call.query("phone"))
    if email is None and phone is None:
        limit = call.int_query("limit", 50, 1, 500)
        filters = filters_of(call, listing.CONTACT_FILTERS, listing.FIELD_PREFIX)
        records, cursor = listing.contacts_page(ports(), limit, call.query("cursor"), filters)
        return ContactsAnswer(ContactPage(items=[service.card(ports(), r) for r in records], nextCursor=cursor))
    found, resolved = service.find(ports(), email, phone)
    return ContactsAnswer(
        ContactList(
            contacts=[service.card(ports(), r) for r in found],
            resolvesTo=service.card(ports(), resolved).externalId if resolved else None,
        )
    )


@api_route(
    bp,
    "/v1/contacts/{externalId}/orders",
    "GET",
    auth="secret",
    tag=TAG,
    response=OrdersPage,
    query={
        **PAGE_QUERY,
        "status": "only orders with this status",
        "dateFrom": "placed (`date`) at or after this ISO 8601 time",
        "dateTo": "placed (`date`) at or before this ISO 8601 time",
    },
    summary="A page of the contact's orders (with those of profiles merged into it), unordered, with filters",
)
def contact_orders(call: Call) -> OrdersPage:
    rec = service.get(ports(), call.params["externalId"])
    filters = filters_of(call, ("status", "dateFrom", "dateTo"))
    return OrdersPage.model_validate(order_page(call, filters, rec))


@api_route(
    bp,
    "/v1/contacts/{externalId}/merge",
    "POST",
    auth="secret",
    tag=TAG,
    body=MergeRequest,
    response=MergeAccepted,
    status=202,
    summary="Merge another known contact into this one (queued, applied once, recorded in mergeHistory)",
)
def merge_contacts(call: Call) -> MergeAccepted:
    body = parse(MergeRequest, call.body)
    name, prefix = (call.key.name, call.key.prefix) if call.key else ("unknown", None)
    return MergeAccepted.model_validate(
        lifecycle.request_merge(ports(), call.params["externalId"], body.from_, name, prefix)
    )


@api_route(
    bp,
    "/v1/contacts/{externalId}/activity",
    "GET",
    auth="secret",
    tag=TAG,
    response=ActivityPage,
    query={"limit": "page size, 1-500 (default 50)", "cursor": "from the previous page's nextCursor"},
    summary="The contact's events, newest first, paginated",
)
def activity(call: Call) -> ActivityPage:
    limit = call.int_query("limit", 50, 1, 500)
    events, cursor = service.activity(ports(), call.params["externalId"], limit, call.query("cursor"))
    return ActivityPage(events=[ActivityItem.of(e) for e in events], nextCursor=cursor)


@api_route(
    bp,
    "/v1/imports/contacts",
    "POST",
    auth="secret",
    tag=TAG,
    body=ImportRequest,
    response=ImportAccepted,
    status=202,
    summary="Import up to 3,000 contacts asynchronously; poll the status URL for per-row errors",
)
def import_contacts(call: Call) -> ImportAccepted:
    return imports.start_import(ports(), parse(ImportRequest, call.body))


@api_route(
    bp,
    "/v1/imports/{importId}",
    "GET",
    auth="secret",
    tag=TAG,
    response=ImportStatus,
    summary="Progress and per-row errors of a contact import",
)
def import_status(call: Call) -> ImportStatus:
    return imports.status(ports(), call.params["importId"])
