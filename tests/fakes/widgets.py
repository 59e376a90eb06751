"""In-memory ``WidgetStore``: the widgets as ``FakeDocuments``, handed out as the adapter reads them back
(through their stored form)."""

from __future__ import annotations

from chalicelib.messaging.placements import Widget
from chalicelib.ports import WidgetStore
from chalicelib.storage.documents import Head
from tests.fakes.documents import FakeDocuments


def _stored(widget: Widget) -> Widget:
    return Widget.unpack(widget.pack())


class FakeWidgetStore:
    def __init__(self) -> None:
        self.documents = FakeDocuments("Widget", lambda w: Head(w.id, w.revision, w.createdAt), _stored)

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


_widgets: WidgetStore = FakeWidgetStore()
