"""Message templates: create, read, list, change and delete them, checked on save (every field of every language
version parses), and preview one rendered for a stored contact or sample data.

The renderer (jinja2, css-inline) is imported on first use: no cold start pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound, OrbitError
from chalicelib.messaging import sms
from chalicelib.messaging.context import RenderContext, context_for
from chalicelib.messaging.templates import CHANNELS, SmsContent, Template, TemplateIn, check_size, checked_content
from chalicelib.ports import Ports
from chalicelib.services.ids import new_id
from chalicelib.validation import LanguageCode


class TemplatePreviewIn(BaseModel):
    """``POST /v1/templates/{id}/preview``: a stored contact (``externalId``), sample data (``sample``), or both
    (the contact from the store, the event, variables and products from the sample)."""

    model_config = ConfigDict(extra="forbid")

    externalId: str | None = Field(default=None, min_length=1, max_length=200, description="A stored contact")
    sample: RenderContext | None = Field(
        default=None, description="contact, fields, event, vars, products (up to 6), recommended (up to 6)"
    )
    language: LanguageCode | None = Field(
        default=None, description="The version to show (absent: the contact's language, as a send picks it)"
    )

    @model_validator(mode="after")
    def _given(self) -> TemplatePreviewIn:
        if self.externalId is None and self.sample is None:
            raise ValueError("give externalId, sample, or both")
        if self.externalId is not None and self.sample is not None and "contact" in self.sample.model_fields_set:
            raise ValueError("give the contact as externalId or as sample.contact, not both")
        return self


@dataclass(frozen=True)
class Preview:
    channel: str
    language: str
    content: dict[str, Any]
    sms: sms.SmsLength | None


class RenderFailed(OrbitError):
    """A template that cannot render for the given data (the reason in ``details``)."""

    status, code = 422, "render_failed"


def get(ports: Ports, template_id: str) -> Template:
    found = ports.templates.template(template_id)
    if found is None:
        raise NotFound(f"No template {template_id!r}")
    return found


def listing(ports: Ports, channel: str | None = None, tag: str | None = None) -> list[Template]:
    """Every template, oldest first; of ``channel`` and carrying ``tag`` when given."""
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput("channel is invalid", [ErrorDetail("channel", f"must be one of {', '.join(CHANNELS)}")])
    return [
        t
        for t in ports.templates.templates()
        if (channel is None or t.channel == channel) and (tag is None or tag in t.tags)
    ]


def _checked(body: TemplateIn, template_id: str, revision: int, created_at: str, now: str) -> Template:
    content, versions = checked_content(body)
    template = Template(
        id=template_id,
        name=body.name,
        channel=body.channel,
        tags=tuple(body.tags),
        description=body.description,
        language=body.language,
        content=content,
        versions=versions,
        revision=revision,
        createdAt=created_at,
        updatedAt=now,
    )
    from chalicelib.messaging.render import syntax_errors

    errors = syntax_errors(template)
    if errors:
        raise InvalidInput("The template does not parse", errors)
    check_size(template)
    return template


def _new_id(ports: Ports, wanted: str | None, name: str) -> str:
    return new_id(wanted, name, lambda i: ports.templates.template(i) is not None, "template", "another template")


def create(ports: Ports, body: TemplateIn) -> Template:
    now = iso(ports.clock.now())
    template = _checked(body, _new_id(ports, body.id, body.name), 1, now, now)
    ports.templates.create_template(template)
    return template


def replace(ports: Ports, template_id: str, body: TemplateIn, expected_revision: int | None) -> Template:
    """Change a template (its id and channel never change). ``expected_revision`` (the client's ``If-Match``)
    refuses a change made on a stale copy."""
    current = get(ports, template_id)
    if body.id is not None and body.id != template_id:
        raise InvalidInput("A template's id cannot change", [ErrorDetail("id", f"must be {template_id!r} or absent")])
    if body.channel != current.channel:
        raise InvalidInput(
            "A template's channel cannot change", [ErrorDetail("channel", f"must be {current.channel!r}")]
        )
    if expected_revision is not None and expected_revision != current.revision:
        raise Conflict(
            f"The template changed since revision {expected_revision}; it is at revision {current.revision}",
            [ErrorDetail("revision", "is stale")],
        )
    changed = _checked(body, template_id, current.revision + 1, current.createdAt, iso(ports.clock.now()))
    ports.templates.replace_template(changed, current.revision)
    return changed


def delete(ports: Ports, template_id: str) -> None:
    ports.templates.delete_template(template_id)


def sms_lengths(template: Template) -> dict[str, sms.SmsLength] | None:
    """An SMS template's length, encoding and segments per language, as written (placeholders change it once
    rendered: the preview counts the rendered text)."""
    if template.channel != "sms":
        return None
    lengths: dict[str, sms.SmsLength] = {}
    for language in template.languages:
        content = template.content_for(language)
        assert isinstance(content, SmsContent)
        lengths[language] = sms.measure(content.text)
    return lengths


def preview(ports: Ports, template_id: str, body: TemplatePreviewIn) -> Preview:
    """The template rendered as a send would render it (422 ``render_failed`` with the reason when it cannot)."""
    from chalicelib.messaging.render import RenderError, render
    from chalicelib.services import contacts

    template = get(ports, template_id)
    if body.language is not None and body.language.lower() not in {code.lower() for code in template.languages}:
        raise InvalidInput(
            "The template has no such language version",
            [ErrorDetail("language", f"must be one of {', '.join(template.languages)}")],
        )
    context = body.sample or RenderContext()
    if body.externalId is not None:
        card = contacts.card(ports, contacts.get(ports, body.externalId)).model_dump(mode="json")
        context = context.model_copy(update={"contact": context_for(card).contact})
    try:
        rendered = render(template, context, body.language)
    except RenderError as exc:
        raise RenderFailed(
            "The template does not render for this data", [ErrorDetail(exc.field or "template", exc.reason)]
        ) from exc
    length = sms.measure(rendered.content["text"]) if template.channel == "sms" else None
    return Preview(rendered.channel, rendered.language, rendered.content, length)
