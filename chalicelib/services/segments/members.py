"""Who is in a list or a segment, page by page: the served generation's members, for the API and the export.

A cursor names the list or segment and the generation it pages through: one from another listing is a 400
naming ``cursor``, and so is one taken before a segment's membership was recomputed (the generation it pages
through is no longer served: start again from the first page). Members come in storage order (unordered), and a
page may hold fewer than ``limit`` while more follow; the listing ends when ``nextCursor`` is null.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from chalicelib.contacts import keys
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.ports import Ports
from chalicelib.segments.models import SegmentDef
from chalicelib.services.listing import decode_cursor, encode_cursor

MAX_LIMIT = 500


class MemberItem(BaseModel):
    externalId: str | None = Field(description="The contact's External ID (null: a provisional profile)")
    since: str | None = Field(description="When the contact became a member (ISO 8601, UTC)")


class MembersPage(BaseModel):
    items: list[MemberItem] = Field(description="Members in storage order (unordered); may be fewer than `limit`")
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null: the listing ended")


def members_page(ports: Ports, definition: SegmentDef, limit: int, cursor: str | None = None) -> MembersPage:
    """Up to ``limit`` members of the definition's served generation, and the cursor of the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit is invalid", [ErrorDetail("limit", f"must be an integer from 1 to {MAX_LIMIT}")])
    generation = definition.serving
    listing = f"members:{definition.kind}:{definition.id}"
    state = decode_cursor(listing, cursor)
    stored: str | None = None
    if state is not None:
        if state.get("g") != generation.number or not isinstance(state.get("c"), str):
            raise InvalidInput(
                "cursor is invalid",
                [ErrorDetail("cursor", "the membership was recomputed since this page: start from the first page")],
            )
        stored = state["c"]
    found, after = ports.memberships.members(generation, limit, stored)
    return MembersPage(
        items=[MemberItem(externalId=keys.external_id(key), since=member.since) for key, member in found],
        nextCursor=encode_cursor(listing, {"g": generation.number, "c": after} if after is not None else None),
    )
