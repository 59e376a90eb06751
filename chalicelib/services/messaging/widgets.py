"""On-site widgets: saving them (checked against the templates and segments they name) and the placements one page
view gets, an inapp widget's template rendered for the visitor (docs/widgets.md).

The visitor is recognized by orbit.js' anonymous id only, never by a user id the page could claim: the anonymous
id is a random UUID the visitor's browser holds, and identify merges it into the known contact, so personal data
(a first name in an in-app message) only reaches the browser that contact was tracked in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.messaging.context import context_for
from chalicelib.messaging.placements import Visit, Widget, WidgetIn, applies, problems
from chalicelib.ports import Ports
from chalicelib.services.ids import new_id

log = logging.getLogger("orbit.messages")
SUBSCRIBE_FIELDS = ("email", "phone", "firstName", "lastName")
LABELS = {"email": "Email", "phone": "Phone", "firstName": "First name"}


def get(ports: Ports, widget_id: str) -> Widget:
    found = ports.widgets.widget(widget_id)
    if found is None:
        raise NotFound(f"No widget with id {widget_id!r}")
    return found


def listing(ports: Ports) -> list[Widget]:
    return ports.widgets.widgets()


def _checked(ports: Ports, body: WidgetIn) -> None:
    """InvalidInput naming every field that does not fit together or names nothing usable."""
    found = problems(body)
    if body.templateId is not None:
        template = ports.templates.template(body.templateId)
        if template is None:
            found.append(ErrorDetail("templateId", f"no template {body.templateId!r}"))
        elif template.channel != "inapp":
            found.append(ErrorDetail("templateId", f"is a {template.channel} template, not inapp"))
    segment_id = body.rules.segmentId
    if segment_id is not None and ports.segments.segment(segment_id) is None:
        found.append(ErrorDetail("rules.segmentId", f"no list or segment {segment_id!r}"))
    if found:
        raise InvalidInput("The widget is invalid", found)


def _new_id(ports: Ports, wanted: str | None, name: str) -> str:
    return new_id(wanted, name, lambda i: ports.widgets.widget(i) is not None, "widget", "another widget")


def create(ports: Ports, body: WidgetIn) -> Widget:
    _checked(ports, body)
    now = iso(ports.clock.now())
    fields = body.model_dump(exclude={"id"})
    widget = Widget(**fields, id=_new_id(ports, body.id, body.name), createdAt=now, updatedAt=now)
    ports.widgets.create_widget(widget)
    return widget


def replace(ports: Ports, widget_id: str, body: WidgetIn, expected_revision: int | None) -> Widget:
    """Change a widget (its id never changes); ``expected_revision`` (``If-Match``) refuses a stale copy's change."""
    current = get(ports, widget_id)
    if body.id is not None and body.id != widget_id:
        raise InvalidInput("A widget's id cannot change", [ErrorDetail("id", f"must be {widget_id!r} or absent")])
    _checked(ports, body)
    if expected_revision is not None and expected_revision != current.revision:
        raise Conflict(
            f"The widget changed since revision {expected_revision}; it is at revision {current.revision}",
            [ErrorDetail("revision", "is stale")],
        )
    changed = Widget(
        **body.model_dump(exclude={"id"}),
        id=widget_id,
        revision=current.revision + 1,
        createdAt=current.createdAt,
        updatedAt=iso(ports.clock.now()),
    )
    ports.widgets.replace_widget(changed, current.revision)
    return changed


def delete(ports: Ports, widget_id: str) -> None:
    ports.widgets.delete_widget(widget_id)


# --- delivery -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageView:
    """What orbit.js says about the page view asking for placements."""

    path: str
    anonymous_id: str | None
    shown: dict[str, float]
    submitted: frozenset[str]


def _visitor(ports: Ports, anonymous_id: str | None) -> ContactRecord | None:
    """The record the anonymous id resolves to: the known contact it was merged into, else its profile."""
    if not anonymous_id:
        return None
    rec = ports.contacts.load(keys.anonymous(anonymous_id))
    if rec is not None and rec.kind == KIND_ALIAS and rec.merged_into:
        rec = ports.contacts.load(rec.merged_into)
    return rec


def _segments(ports: Ports, rec: ContactRecord) -> frozenset[str]:
    """The lists and segments the contact is a member of (served generations only)."""
    serving = {d.id: d.serving for d in ports.segments.segments()}
    return frozenset(
        g.segment_id
        for g, state in ports.memberships.for_contact(rec.key)
        if state.member and serving.get(g.segment_id) == g
    )


def _form(spec: dict[str, Any], category: str | None = None) -> dict[str, Any]:
    """A form as orbit.js draws it: the fields ``POST /v1/subscribe`` takes, labelled."""
    return {
        "fields": [f for f in spec["fields"] if f["name"] in SUBSCRIBE_FIELDS],
        "category": category,
        "submitText": spec["submitText"],
        "successText": spec["successText"],
    }


def _shown(ports: Ports, widget: Widget, card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The placement orbit.js draws (None: an inapp template that is gone or does not render)."""
    from chalicelib.messaging.render import RenderError, render  # jinja stays off the cold start until needed

    rules = widget.rules
    placed: dict[str, Any] = {
        "id": widget.id,
        "kind": widget.kind,
        "delaySeconds": rules.delaySeconds,
        "exitIntent": rules.exitIntent,
    }
    if widget.kind != "inapp":
        placed.update(title=widget.title, text=widget.text, linkText=widget.linkText, linkUrl=widget.linkUrl)
        if widget.form is not None:
            asked = [{"name": n, "label": LABELS[n], "required": n != "firstName"} for n in widget.form.fields]
            placed["form"] = _form({**widget.form.model_dump(), "fields": asked}, widget.form.category)
        return placed
    template = ports.templates.template(widget.templateId or "")
    if template is None or template.channel != "inapp":
        log.warning("widget %s: its template %s is gone or not inapp", widget.id, widget.templateId)
        return None
    try:
        content = render(template, context_for(card)).content
    except RenderError as exc:
        log.warning("widget %s: template %s does not render: %s", widget.id, template.id, exc.reason)
        return None
    form = content.pop("form", None)
    placed.update(content=content, form=_form(form) if form else None)
    return placed


def placements(ports: Ports, view: PageView) -> list[dict[str, Any]]:
    """The widgets this page view gets, in the order they were made."""
    from chalicelib.services import contacts  # the contact card's reads stay off the tracking routes' cold start

    widgets = [w for w in ports.widgets.widgets() if w.enabled]
    if not widgets:
        return []
    rec = _visitor(ports, view.anonymous_id)
    known = rec is not None and rec.kind == KIND_CONTACT
    needs_segments = rec is not None and any(w.rules.audience == "segment" for w in widgets)
    visit = Visit(
        path=view.path,
        now=ports.clock.now().timestamp(),
        known=known,
        segments=_segments(ports, rec) if needs_segments and rec is not None else frozenset(),
        shown=view.shown,
        submitted=view.submitted,
    )
    chosen = [w for w in widgets if applies(w, visit)]
    card = None
    if rec is not None and any(w.kind == "inapp" for w in chosen):
        card = contacts.card(ports, rec).model_dump(mode="json")
    return [placed for w in chosen if (placed := _shown(ports, w, card)) is not None]
