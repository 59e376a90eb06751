"""Additional fields API: declare typed fields before contacts use them."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.http import Call, api_route
from chalicelib.contacts.fields import FieldDeclaration, FieldList
from chalicelib.deps import ports
from chalicelib.services import fields
from chalicelib.validation import parse

bp = Blueprint(__name__)


@api_route(
    bp,
    "/v1/fields",
    "POST",
    auth="secret",
    tag="Fields",
    body=FieldDeclaration,
    response=FieldDeclaration,
    status=201,
    summary="Declare an additional contact field (name, type, constraints)",
)
def declare_field(call: Call) -> FieldDeclaration:
    return fields.declare(ports(), parse(FieldDeclaration, call.body))


@api_route(bp, "/v1/fields", "GET", auth="secret", tag="Fields", response=FieldList, summary="Declared fields")
def list_fields(call: Call) -> FieldList:
    return FieldList(fields=fields.declared(ports()))
