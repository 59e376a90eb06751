"""Contacts API: the contact card, lookup, merge, deletion/erasure, activity, bulk import."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

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
    return service.card(ports(), service.get(ports(), call.params["externalId"]))


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
    return Deleted.model_validate(service.delete(ports(), call.params["externalId"], erase == "true"))


@api_route(
    bp,
    "/v1/contacts",
    "GET",
    auth="secret",
    tag=TAG,
    response=ContactList,
    query={"email": "find by email", "phone": "find by phone (E.164)"},
    summary="Find the contacts holding an email or phone, and the one it resolves to",
)
def find_contacts(call: Call) -> ContactList:
    found, resolved = service.find(ports(), call.query("email"), call.query("phone"))
    return ContactList(
        contacts=[service.card(ports(), r) for r in found],
        resolvesTo=service.card(ports(), resolved).externalId if resolved else None,
    )


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
        service.request_merge(ports(), call.params["externalId"], body.from_, name, prefix)
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
