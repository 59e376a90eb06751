"""In-memory ``TemplateStore``: the templates as ``FakeDocuments``, handed out as the adapter reads them back
(through their stored form)."""

from __future__ import annotations

from chalicelib.messaging.templates import Template
from chalicelib.ports import TemplateStore
from chalicelib.storage.documents import Head
from tests.fakes.documents import FakeDocuments


def stored_template(template: Template) -> Template:
    return Template.unpack(template.pack())


class FakeTemplateStore:
    def __init__(self) -> None:
        self.documents = FakeDocuments("Template", lambda t: Head(t.id, t.revision, t.createdAt), stored_template)

    def create_template(self, template: Template) -> None:
        self.documents.create(template)

    def template(self, template_id: str) -> Template | None:
        return self.documents.get(template_id)

    def templates(self) -> list[Template]:
        return self.documents.all()

    def replace_template(self, template: Template, expected_revision: int) -> None:
        self.documents.replace(template, expected_revision)

    def delete_template(self, template_id: str) -> None:
        self.documents.delete(template_id)


_templates: TemplateStore = FakeTemplateStore()
