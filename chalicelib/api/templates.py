"""Message templates API: templates per channel with tags and language versions, checked on save, and a preview
rendered for a stored contact or sample data (docs/templates.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.messaging.sms import SmsLength
from chalicelib.messaging.templates import Template, TemplateIn
from chalicelib.services import templates
from chalicelib.services.messaging.trial import TrialIn, send_test
from chalicelib.services.templates import TemplatePreviewIn
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Templates"


class SmsLengthOut(BaseModel):
    encoding: str = Field(description="`GSM-7`, or `UCS-2` once any character is outside the GSM 03.38 alphabet")
    characters: int
    length: int = Field(
        description="What counts against the limits: GSM-7 septets (extension characters like `€ { } [ ]` count 2) "
        "or UTF-16 units (an emoji counts 2)"
    )
    segments: int = Field(description="Messages sent: 1 up to 160 GSM-7 / 70 UCS-2, else one per 153 / 67")
    perSegment: int = Field(description="The limit that applied: 160 or 153 (GSM-7), 70 or 67 (UCS-2)")
    remaining: int = Field(description="Units left in the last segment")


class TemplateOut(BaseModel):
    id: str
    name: str
    channel: str
    tags: list[str]
    description: str | None = None
    language: str = Field(description="The default language: `content`'s")
    languages: list[str] = Field(description="The default language, then each version's")
    content: dict[str, Any]
    versions: dict[str, dict[str, Any]] = Field(description="Per language, the fields that differ from `content`")
    sms: dict[str, SmsLengthOut] | None = Field(
        default=None, description="SMS only: per language, the text's length as written (placeholders unrendered)"
    )
    revision: int = Field(description="Send it back as `If-Match` on PUT to refuse a change made on a stale copy")
    createdAt: str
    updatedAt: str


class TemplateSummary(BaseModel):
    id: str
    name: str
    channel: str
    tags: list[str]
    description: str | None = None
    languages: list[str]
    revision: int
    createdAt: str
    updatedAt: str


class TemplatesOut(BaseModel):
    items: list[TemplateSummary] = Field(description="Oldest first; `GET /v1/templates/{id}` has the content")


class TemplateDeleted(BaseModel):
    id: str
    deleted: bool = True


class TemplatePreviewOut(BaseModel):
    channel: str
    language: str = Field(description="The language version rendered")
    content: dict[str, Any] = Field(
        description="The fields as sent; an email's `html` is final (CSS inlined, preheader first) and its `text` "
        "made from the HTML when the template has none"
    )
    sms: SmsLengthOut | None = Field(default=None, description="SMS only: the rendered text's length")


def _length(found: SmsLength) -> SmsLengthOut:
    return SmsLengthOut(
        encoding=found.encoding,
        characters=found.characters,
        length=found.length,
        segments=found.segments,
        perSegment=found.per_segment,
        remaining=found.remaining,
    )


def shown(template: Template) -> TemplateOut:
    lengths = templates.sms_lengths(template)
    return TemplateOut(
        id=template.id,
        name=template.name,
        channel=template.channel,
        tags=list(template.tags),
        description=template.description,
        language=template.language,
        languages=template.languages,
        content=template.content,
        versions=template.versions,
        sms={language: _length(found) for language, found in lengths.items()} if lengths is not None else None,
        revision=template.revision,
        createdAt=template.createdAt,
        updatedAt=template.updatedAt,
    )


@api_route(
    bp,
    "/v1/templates",
    "POST",
    auth="secret",
    tag=TAG,
    body=TemplateIn,
    response=TemplateOut,
    status=201,
    summary="Create a message template; every field of every language version must parse (a 400 names the line)",
)
def create_template(call: Call) -> TemplateOut:
    return shown(templates.create(ports(), parse(TemplateIn, call.body)))


@api_route(
    bp,
    "/v1/templates",
    "GET",
    auth="secret",
    tag=TAG,
    response=TemplatesOut,
    query={"channel": "Only templates of this channel", "tag": "Only templates carrying this tag"},
    summary="Every template, oldest first",
)
def list_templates(call: Call) -> TemplatesOut:
    found = templates.listing(ports(), call.query("channel"), call.query("tag"))
    return TemplatesOut(
        items=[
            TemplateSummary(
                id=t.id,
                name=t.name,
                channel=t.channel,
                tags=list(t.tags),
                description=t.description,
                languages=t.languages,
                revision=t.revision,
                createdAt=t.createdAt,
                updatedAt=t.updatedAt,
            )
            for t in found
        ]
    )


@api_route(bp, "/v1/templates/{id}", "GET", auth="secret", tag=TAG, response=TemplateOut, summary="One template")
def get_template(call: Call) -> TemplateOut:
    return shown(templates.get(ports(), call.params["id"]))


@api_route(
    bp,
    "/v1/templates/{id}",
    "PUT",
    auth="secret",
    tag=TAG,
    body=TemplateIn,
    response=TemplateOut,
    summary=(
        "Replace a template (its channel cannot change; `If-Match: <revision>` refuses a change made on a stale"
        " copy with 409)"
    ),
)
def replace_template(call: Call) -> TemplateOut:
    return shown(templates.replace(ports(), call.params["id"], parse(TemplateIn, call.body), call.expected_revision()))


@api_route(
    bp, "/v1/templates/{id}", "DELETE", auth="secret", tag=TAG, response=TemplateDeleted, summary="Delete a template"
)
def delete_template(call: Call) -> TemplateDeleted:
    templates.delete(ports(), call.params["id"])
    return TemplateDeleted(id=call.params["id"])


@api_route(
    bp,
    "/v1/templates/{id}/preview",
    "POST",
    auth="secret",
    tag=TAG,
    body=TemplatePreviewIn,
    response=TemplatePreviewOut,
    summary=(
        "Render a template for a stored contact (`externalId`) and/or sample data (`sample`): the content as it"
        " would be sent, and an SMS's length"
    ),
    errors={422: "The template does not render for this data (`render_failed`); `details` says where and why"},
)
def preview_template(call: Call) -> TemplatePreviewOut:
    found = templates.preview(ports(), call.params["id"], parse(TemplatePreviewIn, call.body))
    return TemplatePreviewOut(
        channel=found.channel,
        language=found.language,
        content=found.content,
        sms=_length(found.sms) if found.sms is not None else None,
    )


class TrialOut(BaseModel):
    messageId: str
    status: str = Field(description="`sent`, or `failed` when the provider refused it (`reason` says why)")
    provider: str | None = None
    to: dict[str, Any] = Field(description="Where it went")
    reason: str | None = None


@api_route(
    bp,
    "/v1/templates/{id}/test",
    "POST",
    auth="secret",
    tag=TAG,
    body=TrialIn,
    response=TrialOut,
    summary=(
        "Send a test of a template to a stored contact (`externalId`) or an address (`to`), rendered as the preview"
        " renders it; marked a test, outside caps, send hours and reports"
    ),
    errors={
        422: "The template does not render (`render_failed`), or the channel has no sender on this stage",
        429: "More than 10 test sends of this template in a minute",
    },
)
def send_template_test(call: Call) -> TrialOut:
    found = send_test(ports(), call.params["id"], parse(TrialIn, call.body))
    sent = found.message
    return TrialOut(messageId=sent.id, status=sent.status, provider=sent.provider, to=found.to, reason=sent.reason)
