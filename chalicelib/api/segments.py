"""Dynamic segments API: define a rule, watch it compute, count and list members, preview a rule while
editing it, and ask why a contact is in or out."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.segments.models import Generation, SegmentDef
from chalicelib.segments.rules import SegmentIn
from chalicelib.services.segments import definitions, inspect
from chalicelib.services.segments.members import MembersPage, members_page
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Segments"


class BuildStatus(BaseModel):
    generation: int
    startedAt: str
    scanned: int = Field(description="Contacts evaluated so far")
    parts: int
    partsDone: int
    done: bool


class SegmentOut(BaseModel):
    id: str
    name: str
    tags: list[str]
    description: str | None = None
    rule: dict[str, Any]
    exclude: dict[str, Any] | None = None
    active: bool
    status: str = Field(description="`computing` until the first computation completes, then `ready`")
    members: int = Field(description="Members of the generation being served")
    generation: int = Field(description="The generation served (0: none computed yet)")
    computing: BuildStatus | None = Field(default=None, description="A computation in progress (new or edited rule)")
    revision: int = Field(description="Send it back as `If-Match` on PUT to refuse a change made on a stale copy")
    createdAt: str
    updatedAt: str


class SegmentsOut(BaseModel):
    items: list[SegmentOut]


class CountOut(BaseModel):
    id: str
    count: int
    generation: int
    status: str


class PreviewOut(BaseModel):
    count: int = Field(description="Contacts matching (an estimate when `complete` is false)")
    scanned: int
    complete: bool
    sample: list[str] = Field(description="Up to ten External IDs of matching contacts")


class SegmentDeleted(BaseModel):
    id: str
    deleted: bool = True


class PreviewIn(BaseModel):
    rule: dict[str, Any]
    exclude: dict[str, Any] | None = None


def shown(definition: SegmentDef) -> SegmentOut:
    wired = ports()
    computing = None
    if definition.building is not None:
        progress = wired.segments.build(Generation(definition.id, definition.building))
        if progress is not None:
            computing = BuildStatus(
                generation=progress.generation,
                startedAt=progress.started_at,
                scanned=progress.scanned,
                parts=len(progress.parts),
                partsDone=sum(p.done for p in progress.parts.values()),
                done=progress.done,
            )
    return SegmentOut(
        id=definition.id,
        name=definition.name,
        tags=list(definition.tags),
        description=definition.description,
        rule=definition.rule or {},
        exclude=definition.exclude,
        active=definition.active,
        status="computing" if definition.generation == 0 else "ready",
        members=wired.memberships.count(definition.serving),
        generation=definition.generation,
        computing=computing,
        revision=definition.revision,
        createdAt=definition.created_at,
        updatedAt=definition.updated_at,
    )


@api_route(
    bp,
    "/v1/segments",
    "POST",
    auth="secret",
    tag=TAG,
    body=SegmentIn,
    response=SegmentOut,
    status=201,
    summary="Create a dynamic segment; its membership is computed in the background (see `computing`)",
)
def create_segment(call: Call) -> SegmentOut:
    return shown(definitions.create_segment(ports(), parse(SegmentIn, call.body)))


@api_route(
    bp,
    "/v1/segments",
    "GET",
    auth="secret",
    tag=TAG,
    response=SegmentsOut,
    query={"tag": "Only segments carrying this tag"},
    summary="Every dynamic segment, oldest first",
)
def list_segments(call: Call) -> SegmentsOut:
    return SegmentsOut(items=[shown(d) for d in definitions.listing(ports(), "segment", call.query("tag"))])


@api_route(bp, "/v1/segments/{id}", "GET", auth="secret", tag=TAG, response=SegmentOut, summary="One segment")
def get_segment(call: Call) -> SegmentOut:
    return shown(definitions.get(ports(), call.params["id"], "segment"))


@api_route(
    bp,
    "/v1/segments/{id}",
    "PUT",
    auth="secret",
    tag=TAG,
    body=SegmentIn,
    response=SegmentOut,
    summary=(
        "Change a segment; a new rule is computed in the background while the current membership keeps serving"
        " (`If-Match: <revision>` refuses a change made on a stale copy with 409)"
    ),
)
def replace_segment(call: Call) -> SegmentOut:
    return shown(
        definitions.replace_segment(ports(), call.params["id"], parse(SegmentIn, call.body), call.expected_revision())
    )


@api_route(
    bp,
    "/v1/segments/{id}",
    "DELETE",
    auth="secret",
    tag=TAG,
    response=SegmentDeleted,
    summary="Delete a segment and its membership (409 while another segment's rule names it)",
)
def delete_segment(call: Call) -> SegmentDeleted:
    definitions.delete(ports(), call.params["id"], "segment")
    return SegmentDeleted(id=call.params["id"])


@api_route(
    bp,
    "/v1/segments/{id}/recompute",
    "POST",
    auth="secret",
    tag=TAG,
    response=SegmentOut,
    status=202,
    summary="Compute the membership again from every contact (the current one serves meanwhile)",
)
def recompute_segment(call: Call) -> SegmentOut:
    return shown(definitions.recompute(ports(), call.params["id"]))


@api_route(bp, "/v1/segments/{id}/count", "GET", auth="secret", tag=TAG, response=CountOut, summary="Members right now")
def count_segment(call: Call) -> CountOut:
    definition = definitions.get(ports(), call.params["id"], "segment")
    return CountOut(
        id=definition.id,
        count=ports().memberships.count(definition.serving),
        generation=definition.generation,
        status="computing" if definition.generation == 0 else "ready",
    )


@api_route(
    bp,
    "/v1/segments/{id}/members",
    "GET",
    auth="secret",
    tag=TAG,
    response=MembersPage,
    query={"limit": "1-1000 (default 100)", "cursor": "`nextCursor` of the previous page"},
    summary="Members, page by page (follow `nextCursor` until it is null); CSV: `cli export members <id>`",
)
def segment_members(call: Call) -> MembersPage:
    definition = definitions.get(ports(), call.params["id"], "segment")
    return members_page(ports(), definition, call.int_query("limit", 100, 1, 1000), call.query("cursor"))


@api_route(
    bp,
    "/v1/segments/preview",
    "POST",
    auth="secret",
    tag=TAG,
    body=PreviewIn,
    response=PreviewOut,
    summary="A rule's size and ten sample members, without saving it (an estimate past 20 s of reading)",
)
def preview_segment(call: Call) -> PreviewOut:
    given = parse(PreviewIn, call.body)
    found = inspect.preview(ports(), SegmentIn(name="preview", rule=given.rule, exclude=given.exclude))
    return PreviewOut(count=found.count, scanned=found.scanned, complete=found.complete, sample=found.sample)


@api_route(
    bp,
    "/v1/segments/{id}/explain/{externalId}",
    "GET",
    auth="secret",
    tag=TAG,
    summary=(
        "Why a contact is in the segment or not: every condition's value and the data it used, since when it is a"
        " member, and when time alone may next change that"
    ),
)
def explain_segment(call: Call) -> dict[str, Any]:
    return inspect.explain(ports(), call.params["id"], call.params["externalId"])
