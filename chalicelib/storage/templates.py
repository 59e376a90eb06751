"""Message templates in the meta table: ``(pk="template", sk=<id>)``, one small partition, so ``templates()`` is
one Query. The template travels as compressed JSON (``Template.pack``) in ``body``, beside ``rev`` for the
optimistic update and ``createdAt`` to order the listing."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.templates import Template
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, serialize

PK = "template"


def _item(template: Template) -> Item:
    return {
        "pk": PK,
        "sk": template.id,
        "rev": template.revision,
        "createdAt": template.createdAt,
        "body": template.pack(),
    }


def _template(item: Item) -> Template:
    return Template.unpack(bytes(item["body"]))


class DynamoTemplateStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_template(self, template: Template) -> None:
        try:
            self.table.put(_item(template), "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Template {template.id!r} already exists") from exc

    def template(self, template_id: str) -> Template | None:
        item = self.table.get({"pk": PK, "sk": template_id})
        return _template(item) if item else None

    def templates(self) -> list[Template]:
        found: list[Template] = []
        start: Item | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": serialize({":pk": PK}),
                "ConsistentRead": True,  # a template saved a moment ago is listed
            }
            if start:
                kwargs["ExclusiveStartKey"] = serialize(start)
            items, start = self.table._page("dynamodb.Query", self.table.client.query, kwargs)
            found += [_template(i) for i in items]
            if start is None:
                return sorted(found, key=lambda t: (t.createdAt, t.id))

    def replace_template(self, template: Template, expected_revision: int) -> None:
        try:
            self.table.replace(_item(template), 0, "attribute_exists(sk) AND rev = :rev", {":rev": expected_revision})
        except Conflict as exc:
            stored = self.template(template.id)
            if stored is None:
                raise NotFound(f"Template {template.id!r} does not exist") from exc
            raise Conflict(
                f"Template {template.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
            ) from exc

    def delete_template(self, template_id: str) -> None:
        try:
            self.table.delete({"pk": PK, "sk": template_id}, condition="attribute_exists(sk)")
        except Conflict as exc:
            raise NotFound(f"Template {template_id!r} does not exist") from exc
