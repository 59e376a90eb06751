"""Templates for the messaging unit tests: built through the same checks ``POST /v1/templates`` runs."""

from __future__ import annotations

from typing import Any

from chalicelib.messaging.render import syntax_errors
from chalicelib.messaging.templates import Template, TemplateIn, checked_content

EMAIL = {"from": "Shop <shop@example.com>", "subject": "Hello", "html": "<p>Hi</p>"}


def template(channel: str, content: dict[str, Any], **extra: Any) -> Template:
    """A template as the service would store it (InvalidInput when the body is invalid)."""
    body = TemplateIn.model_validate({"name": "t", "channel": channel, "content": content, **extra})
    checked, versions = checked_content(body)
    built = Template(
        id="t",
        name=body.name,
        channel=body.channel,
        language=body.language,
        content=checked,
        versions=versions,
        createdAt="2026-11-27T12:00:00.000Z",
        updatedAt="2026-11-27T12:00:00.000Z",
    )
    assert syntax_errors(built) == []
    return built


def email(versions: dict[str, Any] | None = None, language: str = "en", **content: Any) -> Template:
    """An email template: ``EMAIL`` with ``content``'s fields over it."""
    return template("email", {**EMAIL, **content}, versions=versions or {}, language=language)
