"""In-memory ``TemplateStore``: templates by id, each created once, replaced at the revision it was read at, and
handed out as the adapter reads them back (through their stored form)."""

from __future__ import annotations

import threading

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.templates import Template
from chalicelib.ports import TemplateStore


def stored_template(template: Template) -> Template:
    return Template.unpack(template.pack())


class FakeTemplateStore:
    """``stored[id]``."""

    def __init__(self) -> None:
        self.stored: dict[str, Template] = {}
        self._lock = threading.RLock()

    def create_template(self, template: Template) -> None:
        with self._lock:
            if template.id in self.stored:
                raise Conflict(f"Template {template.id!r} already exists")
            self.stored[template.id] = stored_template(template)

    def template(self, template_id: str) -> Template | None:
        found = self.stored.get(template_id)
        return stored_template(found) if found is not None else None

    def templates(self) -> list[Template]:
        with self._lock:
            found = [stored_template(t) for t in self.stored.values()]
        return sorted(found, key=lambda t: (t.createdAt, t.id))

    def replace_template(self, template: Template, expected_revision: int) -> None:
        with self._lock:
            stored = self.stored.get(template.id)
            if stored is None:
                raise NotFound(f"Template {template.id!r} does not exist")
            if stored.revision != expected_revision:
                raise Conflict(
                    f"Template {template.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
                )
            self.stored[template.id] = stored_template(template)

    def delete_template(self, template_id: str) -> None:
        with self._lock:
            if self.stored.pop(template_id, None) is None:
                raise NotFound(f"Template {template_id!r} does not exist")


_templates: TemplateStore = FakeTemplateStore()
