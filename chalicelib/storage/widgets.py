"""On-site widgets in the meta table: ``(pk="widget", sk=<id>)``, one small partition, so ``widgets()`` is one
Query. The widget travels as compressed JSON (``Widget.pack``) in ``body``, beside ``rev`` for the optimistic
update and ``createdAt`` to order the listing."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.placements import Widget
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, serialize

PK = "widget"


def _item(widget: Widget) -> Item:
    return {"pk": PK, "sk": widget.id, "rev": widget.revision, "createdAt": widget.createdAt, "body": widget.pack()}


def _widget(item: Item) -> Widget:
    return Widget.unpack(bytes(item["body"]))


class DynamoWidgetStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_widget(self, widget: Widget) -> None:
        try:
            self.table.put(_item(widget), "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Widget {widget.id!r} already exists") from exc

    def widget(self, widget_id: str) -> Widget | None:
        item = self.table.get({"pk": PK, "sk": widget_id})
        return _widget(item) if item else None

    def widgets(self) -> list[Widget]:
        found: list[Widget] = []
        start: Item | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": serialize({":pk": PK}),
                "ConsistentRead": True,  # a widget saved a moment ago is listed
            }
            if start:
                kwargs["ExclusiveStartKey"] = serialize(start)
            items, start = self.table._page("dynamodb.Query", self.table.client.query, kwargs)
            found += [_widget(i) for i in items]
            if start is None:
                return sorted(found, key=lambda w: (w.createdAt, w.id))

    def replace_widget(self, widget: Widget, expected_revision: int) -> None:
        try:
            self.table.replace(_item(widget), 0, "attribute_exists(sk) AND rev = :rev", {":rev": expected_revision})
        except Conflict as exc:
            stored = self.widget(widget.id)
            if stored is None:
                raise NotFound(f"Widget {widget.id!r} does not exist") from exc
            raise Conflict(
                f"Widget {widget.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
            ) from exc

    def delete_widget(self, widget_id: str) -> None:
        try:
            self.table.delete({"pk": PK, "sk": widget_id}, condition="attribute_exists(sk)")
        except Conflict as exc:
            raise NotFound(f"Widget {widget_id!r} does not exist") from exc
