"""The API bodies that carry a rule or name a list: ``SegmentIn`` (``/v1/segments``) and ``ListIn``
(``/v1/lists``), and the id pattern both follow."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from chalicelib.segments.conditions import Strict
from chalicelib.validation import clean_tags

ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ID_RULE = (
    "Lower-case letters, digits, - and _ (rules name lists and segments by it: `inList`, `inSegment`); "
    "absent: made from the name"
)


class SegmentIn(Strict):
    """``POST /v1/segments`` and ``PUT /v1/segments/{id}``: a named, tagged rule with an optional exclusion."""

    id: str | None = Field(default=None, pattern=ID, description=ID_RULE)
    name: str = Field(min_length=1, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str | None = Field(default=None, max_length=1000)
    rule: dict[str, Any] = Field(description="A condition tree (see docs/segments.md): all, any, not, and leaves")
    exclude: dict[str, Any] | None = Field(default=None, description="Contacts matching this are never members")
    active: bool = Field(default=True, description="Inactive segments keep their definition and stop updating")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)


class ListIn(Strict):
    """``POST /v1/lists`` and ``PATCH /v1/lists/{id}``: a static list, filled by hand, import, API or workflow."""

    id: str | None = Field(default=None, pattern=ID, description=ID_RULE)
    name: str = Field(min_length=1, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str | None = Field(default=None, max_length=1000)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)
