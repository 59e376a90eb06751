"""Lists API: static segments filled by External ID (docs/lists.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.segments.rules import ID, ListIn
from chalicelib.services.segments import definitions, lists
from chalicelib.services.segments.lists import (
    MAX_IDS,
    SYNC_LIMIT,
    ListView,
    MembersJob,
    MembersJobStatus,
    MembersRequest,
    MembersResult,
)
from chalicelib.services.segments.members import MembersPage, members_page
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Lists"
NAMED = {409: "A segment's rule names the list (`conflict`): change those rules first; `details` names them"}
CHANGED = {409: "The list changed concurrently (`conflict`): read it and retry"}
TOO_MANY = {
    413: f"More than {MAX_IDS:,} External IDs, or a body larger than the API takes (`payload_too_large`); "
    "`details` names the limit"
}


class ListPatch(BaseModel):
    """Body of ``PATCH /v1/lists/{listId}``: what to change (absent: kept; ``description: null`` removes it)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=ID, description="The list's own id, or absent (it cannot change)")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[str] | None = Field(default=None, max_length=20, description="Replaces the tags")
    description: str | None = Field(default=None, max_length=1000)


class ListsAnswer(BaseModel):
    items: list[ListView] = Field(description="Every list (with `tag`: those carrying it), oldest first")


class ListDeleted(BaseModel):
    id: str
    membersRemoved: int = Field(description="Members the list had")


class MembersAnswer(RootModel[MembersResult | MembersJob]):
    """200: the change, applied; 202: a job (more than 500 distinct IDs) to poll at ``statusUrl``."""


@api_route(
    bp,
    "/v1/lists",
    "POST",
    auth="secret",
    tag=TAG,
    body=ListIn,
    response=ListView,
    status=201,
    summary="Create a list (its id: from the body, or made from the name); fill it with POST .../members",
)
def create_list(call: Call) -> ListView:
    return lists.view(ports(), definitions.create_list(ports(), parse(ListIn, call.body)))


@api_route(
    bp,
    "/v1/lists",
    "GET",
    auth="secret",
    tag=TAG,
    response=ListsAnswer,
    query={"tag": "only lists carrying this tag"},
    summary="Every list, oldest first, each with its member count",
)
def all_lists(call: Call) -> ListsAnswer:
    return ListsAnswer(items=lists.views(ports(), call.query("tag")))


@api_route(bp, "/v1/lists/{listId}", "GET", auth="secret", tag=TAG, response=ListView, summary="A list")
def get_list(call: Call) -> ListView:
    return lists.view(ports(), definitions.get(ports(), call.params["listId"], "list"))


@api_route(
    bp,
    "/v1/lists/{listId}",
    "PATCH",
    auth="secret",
    tag=TAG,
    body=ListPatch,
    response=ListView,
    errors=CHANGED,
    summary="Rename, re-tag or re-describe a list (absent fields are kept; its id and members never change)",
)
def update_list(call: Call) -> ListView:
    patch = parse(ListPatch, call.body)
    current = definitions.get(ports(), call.params["listId"], "list")
    merged: dict[str, Any] = {"name": current.name, "tags": list(current.tags), "description": current.description}
    merged.update(patch.model_dump(exclude_unset=True, exclude={"tags"} if patch.tags is None else set()))
    return lists.view(ports(), definitions.update_list(ports(), current.id, parse(ListIn, merged)))


@api_route(
    bp,
    "/v1/lists/{listId}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=ListDeleted,
    errors=NAMED,
    summary="Delete a list and its memberships (409 while a segment's rule names it)",
)
def delete_list(call: Call) -> ListDeleted:
    current = definitions.get(ports(), call.params["listId"], "list")
    members = ports().memberships.count(current.serving)
    definitions.delete(ports(), current.id, "list")
    return ListDeleted(id=current.id, membersRemoved=members)


def _members(call: Call, action: lists.Action) -> Response:
    body = call.body
    if isinstance(body, dict) and isinstance(body.get("externalIds"), list):
        lists.check_size(len(body["externalIds"]))  # a 413 before validating what is too large anyway
    request = parse(MembersRequest, body)
    result = lists.request(ports(), call.params["listId"], action, request.externalIds)
    status = 202 if isinstance(result, MembersJob) else 200
    return Response(body=result.model_dump(mode="json", exclude_none=True), status_code=status)


@api_route(
    bp,
    "/v1/lists/{listId}/members",
    "POST",
    auth="secret",
    tag=TAG,
    body=MembersRequest,
    response=MembersAnswer,
    also=(202,),
    errors=TOO_MANY,
    summary=(
        f"Add contacts by External ID (up to {MAX_IDS:,}): up to {SYNC_LIMIT} distinct IDs at once (200, with "
        "per-row errors), more as a job (202, poll statusUrl)"
    ),
)
def add_members(call: Call) -> Response:
    return _members(call, "add")


@api_route(
    bp,
    "/v1/lists/{listId}/members/remove",
    "POST",
    auth="secret",
    tag=TAG,
    body=MembersRequest,
    response=MembersAnswer,
    also=(202,),
    errors=TOO_MANY,
    summary=(
        f"Remove contacts by External ID (up to {MAX_IDS:,}): up to {SYNC_LIMIT} distinct IDs at once (200), "
        "more as a job (202, poll statusUrl)"
    ),
)
def remove_members(call: Call) -> Response:
    return _members(call, "remove")


@api_route(
    bp,
    "/v1/lists/{listId}/members",
    "GET",
    auth="secret",
    tag=TAG,
    response=MembersPage,
    query={
        "limit": "page size, 1-500 (default 50)",
        "cursor": "from the previous page's nextCursor (a cursor of another listing is a 400)",
    },
    summary="A page of the list's members ({items: [{externalId, since}], nextCursor}), unordered",
)
def list_members(call: Call) -> MembersPage:
    definition = definitions.get(ports(), call.params["listId"], "list")
    return members_page(ports(), definition, call.int_query("limit", 50, 1, 500), call.query("cursor"))


@api_route(
    bp,
    "/v1/lists/{listId}/jobs/{jobId}",
    "GET",
    auth="secret",
    tag=TAG,
    response=MembersJobStatus,
    summary="Progress, counts and per-row errors of a members job (PROCESSING, then FINISHED)",
)
def members_job(call: Call) -> Response:
    status = lists.job_status(ports(), call.params["listId"], call.params["jobId"])
    return Response(body=status.model_dump(mode="json", exclude_none=True), status_code=200)
