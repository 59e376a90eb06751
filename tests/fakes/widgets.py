"""In-memory ``WidgetStore``: widgets by id, each created once, replaced at the revision it was read at, and handed
out as the adapter reads them back (through their stored form)."""

from __future__ import annotations

import threading

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.placements import Widget
from chalicelib.ports import WidgetStore


def _stored(widget: Widget) -> Widget:
    return Widget.unpack(widget.pack())


class FakeWidgetStore:
    """``stored[id]``."""

    def __init__(self) -> None:
        self.stored: dict[str, Widget] = {}
        self._lock = threading.RLock()

    def create_widget(self, widget: Widget) -> None:
        with self._lock:
            if widget.id in self.stored:
                raise Conflict(f"Widget {widget.id!r} already exists")
            self.stored[widget.id] = _stored(widget)

    def widget(self, widget_id: str) -> Widget | None:
        found = self.stored.get(widget_id)
        return _stored(found) if found is not None else None

    def widgets(self) -> list[Widget]:
        with self._lock:
            found = [_stored(w) for w in self.stored.values()]
        return sorted(found, key=lambda w: (w.createdAt, w.id))

    def replace_widget(self, widget: Widget, expected_revision: int) -> None:
        with self._lock:
            stored = self.stored.get(widget.id)
            if stored is None:
                raise NotFound(f"Widget {widget.id!r} does not exist")
            if stored.revision != expected_revision:
                raise Conflict(
                    f"Widget {widget.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
                )
            self.stored[widget.id] = _stored(widget)

    def delete_widget(self, widget_id: str) -> None:
        with self._lock:
            if self.stored.pop(widget_id, None) is None:
                raise NotFound(f"Widget {widget_id!r} does not exist")


_widgets: WidgetStore = FakeWidgetStore()
