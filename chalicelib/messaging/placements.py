"""On-site placements shown by orbit.js: widgets (a subscription pop-up, a banner, an in-app message from an
``inapp`` template), their display rules, and which of them a page view gets.

A widget's rules are few on purpose: where (the page's path contains or equals a text), when (a delay after the
page loads, or the visitor moving to leave), how often (at most once per ``everyDays`` days per visitor, never
again once its form was sent) and for whom (everyone, only unknown visitors, or a segment's members). ``applies``
decides all but the timing, which only the browser can see; the browser reports when it last showed each widget.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.errors import ErrorDetail
from chalicelib.messaging.templates import http_url_problem

Kind = Literal["popup", "banner", "inapp"]
Audience = Literal["everyone", "unknown", "segment"]
FormFieldName = Literal["email", "phone", "firstName"]

ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
DAY_SECONDS = 86_400
MAX_PATH = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisplayRules(_Strict):
    """Where, when, how often and for whom a widget shows."""

    pathContains: str | None = Field(
        default=None, min_length=1, max_length=MAX_PATH, description="Only on pages whose path contains this text"
    )
    pathEquals: str | None = Field(
        default=None, min_length=1, max_length=MAX_PATH, description="Only on the page with exactly this path"
    )
    delaySeconds: int = Field(default=0, ge=0, le=3600, description="Seconds after the page loads")
    exitIntent: bool = Field(default=False, description="Show when the pointer leaves the window (after the delay)")
    everyDays: int = Field(
        default=7, ge=0, le=365, description="At most once per this many days per visitor; 0: on every page view"
    )
    audience: Audience = Field(default="everyone", description="everyone, unknown (no known contact) or segment")
    segmentId: str | None = Field(default=None, pattern=ID, description="With audience `segment`: its members only")


class PopupForm(_Strict):
    """A subscription pop-up's form: sent to ``POST /v1/subscribe`` (double opt-in)."""

    fields: list[FormFieldName] = Field(min_length=1, max_length=3, description="email, phone, firstName")
    category: str | None = Field(default=None, min_length=1, max_length=64, description="Subscribed on confirmation")
    submitText: str = Field(default="Subscribe", min_length=1, max_length=50)
    successText: str = Field(
        default="Almost done: please confirm with the link we sent you.", min_length=1, max_length=300
    )

    @field_validator("fields")
    @classmethod
    def _fields(cls, names: list[str]) -> list[str]:
        if len(set(names)) != len(names):
            raise ValueError("each field appears once")
        if "email" not in names and "phone" not in names:
            raise ValueError("must ask for email or phone")
        return names


class WidgetIn(_Strict):
    """``POST /v1/widgets`` and ``PUT /v1/widgets/{id}``."""

    id: str | None = Field(default=None, pattern=ID, description="Absent: made from the name")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = Field(description="popup (a subscription form), banner, or inapp (an inapp template)")
    enabled: bool = True
    title: str | None = Field(default=None, min_length=1, max_length=200, description="popup and banner")
    text: str | None = Field(default=None, min_length=1, max_length=2000, description="popup and banner")
    linkText: str | None = Field(default=None, min_length=1, max_length=50, description="banner: its button")
    linkUrl: str | None = Field(default=None, max_length=2048, description="banner: where its button leads")
    form: PopupForm | None = Field(default=None, description="popup: the subscription form")
    templateId: str | None = Field(default=None, pattern=ID, description="inapp: the inapp template shown")
    rules: DisplayRules = Field(default_factory=DisplayRules)


def problems(body: WidgetIn) -> list[ErrorDetail]:
    """What the body's fields say together that no single field can (each detail names a field)."""
    found: list[ErrorDetail] = []
    rules = body.rules
    if rules.pathContains is not None and rules.pathEquals is not None:
        found.append(ErrorDetail("rules.pathEquals", "cannot go with rules.pathContains: give one"))
    if rules.audience == "segment" and rules.segmentId is None:
        found.append(ErrorDetail("rules.segmentId", "is required with audience segment"))
    if rules.audience != "segment" and rules.segmentId is not None:
        found.append(ErrorDetail("rules.segmentId", "goes only with audience segment"))
    if body.kind == "popup" and body.form is None:
        found.append(ErrorDetail("form", "is required for a popup"))
    if body.kind != "popup" and body.form is not None:
        found.append(ErrorDetail("form", "goes only with kind popup"))
    if body.kind == "inapp" and body.templateId is None:
        found.append(ErrorDetail("templateId", "is required for an inapp widget"))
    if body.kind != "inapp":
        if body.templateId is not None:
            found.append(ErrorDetail("templateId", "goes only with kind inapp"))
        if body.title is None and body.text is None:
            found.append(ErrorDetail("text", f"a {body.kind} needs a title or text"))
    elif body.title is not None or body.text is not None:
        found.append(ErrorDetail("text", "an inapp widget shows its template: title and text are not used"))
    if body.kind != "banner" and (body.linkText is not None or body.linkUrl is not None):
        found.append(ErrorDetail("linkUrl", "goes only with kind banner"))
    if body.linkUrl is not None and not body.linkUrl.startswith("/") and (bad := http_url_problem(body.linkUrl)):
        found.append(ErrorDetail("linkUrl", bad + " (or a path starting with /)"))
    if (body.linkText is None) != (body.linkUrl is None):
        found.append(ErrorDetail("linkText", "linkText and linkUrl go together"))
    return found


class Widget(WidgetIn):
    """A stored widget."""

    id: str
    revision: int = 1
    createdAt: str
    updatedAt: str

    def pack(self) -> bytes:
        return zlib.compress(json.dumps(self.model_dump(mode="json"), separators=(",", ":")).encode(), 6)

    @classmethod
    def unpack(cls, data: bytes) -> Widget:
        return cls.model_validate(json.loads(zlib.decompress(data)))


@dataclass(frozen=True)
class Visit:
    """A page view as the server sees it: the path, who the visitor is, and the browser's memory of widgets
    (widget id -> when it was last shown, in epoch seconds; the ids whose form was sent)."""

    path: str
    now: float  # epoch seconds
    known: bool = False  # the visitor resolves to a known contact
    segments: frozenset[str] = frozenset()
    shown: dict[str, float] = field(default_factory=dict)
    submitted: frozenset[str] = frozenset()


def path_matches(rules: DisplayRules, path: str) -> bool:
    if rules.pathEquals is not None:
        return path.rstrip("/") == rules.pathEquals.rstrip("/")
    return rules.pathContains is None or rules.pathContains in path


def audience_matches(rules: DisplayRules, visit: Visit) -> bool:
    if rules.audience == "unknown":
        return not visit.known
    if rules.audience == "segment":
        return rules.segmentId in visit.segments
    return True


def due(widget: Widget, visit: Visit) -> bool:
    """Not shown within ``everyDays`` days, and (a popup) its form never sent."""
    if widget.id in visit.submitted:
        return False
    last = visit.shown.get(widget.id)
    every = widget.rules.everyDays
    return last is None or every == 0 or visit.now - last >= every * DAY_SECONDS


def applies(widget: Widget, visit: Visit) -> bool:
    """Whether this page view gets ``widget`` (the browser then waits for its delay or exit intent)."""
    return (
        widget.enabled
        and path_matches(widget.rules, visit.path)
        and audience_matches(widget.rules, visit)
        and due(widget, visit)
    )
