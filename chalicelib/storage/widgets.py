"""On-site widgets in the meta table: ``(pk="widget", sk=<id>)`` documents (``documents.py``), the widget as
compressed JSON (``Widget.pack``) in ``body``."""

from __future__ import annotations

from chalicelib.messaging.placements import Widget
from chalicelib.storage.documents import Documents, Head
from chalicelib.storage.dynamo import Table

PK = "widget"


def _head(widget: Widget) -> Head:
    return Head(widget.id, widget.revision, widget.createdAt)


class DynamoWidgetStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.documents = Documents(table, PK, "Widget", _head, Widget.pack, Widget.unpack)

    def create_widget(self, widget: Widget) -> None:
        self.documents.create(widget)

    def widget(self, widget_id: str) -> Widget | None:
        return self.documents.get(widget_id)

    def widgets(self) -> list[Widget]:
        return self.documents.all()

    def replace_widget(self, widget: Widget, expected_revision: int) -> None:
        self.documents.replace(widget, expected_revision)

    def delete_widget(self, widget_id: str) -> None:
        self.documents.delete(widget_id)
