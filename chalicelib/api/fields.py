"""Additional fields API: declare typed fields before contacts use them; change or remove them later."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.http import Call, api_route
from chalicelib.contacts.fields import FieldDeclaration, FieldList, FieldRemoved, FieldUpdate
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.services import fields
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Fields"


@api_route(
    bp,
    "/v1/fields",
    "POST",
    auth="secret",
    tag=TAG,
    body=FieldDeclaration,
    response=FieldDeclaration,
    status=201,
    summary=(
        "Declare an additional contact field; the same declaration again is idempotent (the same 201), "
        "a different one under the name a 409 naming what differs"
    ),
)
def declare_field(call: Call) -> FieldDeclaration:
    return fields.declare(ports(), parse(FieldDeclaration, call.body))[0]


@api_route(bp, "/v1/fields", "GET", auth="secret", tag=TAG, response=FieldList, summary="Declared fields")
def list_fields(call: Call) -> FieldList:
    return FieldList(fields=fields.declared(ports()))


@api_route(
    bp,
    "/v1/fields/{name}",
    "PATCH",
    auth="secret",
    tag=TAG,
    body=FieldUpdate,
    response=FieldDeclaration,
    summary=(
        "Change a field's description and constraints (absent: kept, null: removed; the type cannot change); "
        "new constraints apply to new writes, stored values are kept"
    ),
)
def update_field(call: Call) -> FieldDeclaration:
    return fields.update(ports(), call.params["name"], parse(FieldUpdate, call.body))


@api_route(
    bp,
    "/v1/fields/{name}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=FieldRemoved,
    query={
        "force": "true to remove it even though contacts hold values (they stay readable, not writable); "
        "otherwise that is a 409"
    },
    summary="Remove a field declaration (409 while contacts hold values, unless force=true)",
)
def remove_field(call: Call) -> FieldRemoved:
    force = (call.query("force") or "false").lower()
    if force not in ("true", "false"):
        raise InvalidInput("force must be true or false", [ErrorDetail("force", f"got {force!r}")])
    name = call.params["name"]
    return FieldRemoved(name=name, contactsWithValues=fields.remove(ports(), name, force == "true"))
