"""Contacts API: the contact card, lookup, deletion/erasure, activity, bulk import."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.clock import iso
from chalicelib.contacts.imports import ImportAccepted, ImportRequest, ImportStatus
from chalicelib.contacts.models import ContactCard, ContactIn, ContactList
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.events.models import Event
from chalicelib.services import contacts as service
from chalicelib.services import imports
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
    eventsDeleted: int


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
    rec, created = service.upsert(ports(), call.params["externalId"], body)
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
    return service.card(ports(), service.get(ports(), call.params["externalId"]))


@api_route(
    bp,
    "/v1/contacts/{externalId}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=Deleted,
    query={"erase": "true to erase personal data and activity (GDPR)"},
    summary="Delete a contact; with erase=true also erase its activity and orders",
)
def delete_contact(call: Call) -> Deleted:
    erase = (call.query("erase") or "false").lower()
    if erase not in ("true", "false"):
        raise InvalidInput("erase must be true or false", [ErrorDetail("erase", f"got {erase!r}")])
    return Deleted.model_validate(service.delete(ports(), call.params["externalId"], erase == "true"))


@api_route(
    bp,
    "/v1/contacts",
    "GET",
    auth="secret",
    tag=TAG,
    response=ContactList,
    query={"email": "find by email", "phone": "find by phone (E.164)"},
    summary="Find contacts by email or phone",
)
def find_contacts(call: Call) -> ContactList:
    found = service.find(ports(), call.query("email"), call.query("phone"))
    return ContactList(contacts=[service.card(ports(), r) for r in found])


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
