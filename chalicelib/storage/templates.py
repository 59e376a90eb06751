"""Message templates in the meta table: ``(pk="template", sk=<id>)`` documents (``documents.py``), the template
as compressed JSON (``Template.pack``) in ``body``."""

from __future__ import annotations

from chalicelib.messaging.templates import Template
from chalicelib.storage.documents import Documents, Head
from chalicelib.storage.dynamo import Table

PK = "template"


def _head(template: Template) -> Head:
    return Head(template.id, template.revision, template.createdAt)


class DynamoTemplateStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.documents = Documents(table, PK, "Template", _head, Template.pack, Template.unpack)

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
