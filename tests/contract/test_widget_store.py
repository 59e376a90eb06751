"""WidgetStore: on-site widgets by id, each created once, replaced at the revision it was read at, listed oldest
first, and read back exactly as written (rules, forms, unicode)."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.placements import DisplayRules, PopupForm, Widget
from chalicelib.ports import Ports, WidgetStore


@pytest.fixture
def widgets(wired: Ports) -> WidgetStore:
    return wired.widgets


def widget(widget_id: str = "welcome", at: str = "2026-11-27T12:00:00.000Z", **changes: object) -> Widget:
    built = Widget(
        id=widget_id,
        name=f"Widget {widget_id}",
        kind="popup",
        title="Знижка 10% 👋",
        text="Subscribe to our news",
        form=PopupForm(fields=["email", "firstName"], category="news"),
        rules=DisplayRules(pathContains="/cart", delaySeconds=5, everyDays=3, audience="unknown", exitIntent=True),
        createdAt=at,
        updatedAt=at,
    )
    return built.model_copy(update=changes)


def test_a_widget_reads_back_as_created(widgets: WidgetStore) -> None:
    widgets.create_widget(widget())

    assert widgets.widget("welcome") == widget()
    assert widgets.widget("missing") is None


def test_an_id_is_created_once(widgets: WidgetStore) -> None:
    widgets.create_widget(widget())

    with pytest.raises(Conflict):
        widgets.create_widget(widget(name="again"))
    assert widgets.widget("welcome") == widget()


def test_the_listing_is_oldest_first(widgets: WidgetStore) -> None:
    widgets.create_widget(widget("b", at="2026-11-27T12:00:02.000Z"))
    widgets.create_widget(widget("a", at="2026-11-27T12:00:03.000Z"))
    widgets.create_widget(widget("c", at="2026-11-27T12:00:01.000Z"))

    assert [w.id for w in widgets.widgets()] == ["c", "b", "a"]


def test_a_replace_at_the_read_revision_is_stored(widgets: WidgetStore) -> None:
    widgets.create_widget(widget())
    changed = widget(revision=2, enabled=False)

    widgets.replace_widget(changed, 1)

    assert widgets.widget("welcome") == changed


def test_a_replace_at_a_stale_revision_is_refused_and_changes_nothing(widgets: WidgetStore) -> None:
    widgets.create_widget(widget())
    widgets.replace_widget(widget(revision=2, name="second"), 1)

    with pytest.raises(Conflict):
        widgets.replace_widget(widget(revision=2, name="third"), 1)
    assert widgets.widget("welcome") == widget(revision=2, name="second")


def test_replacing_or_deleting_a_missing_widget_is_not_found(widgets: WidgetStore) -> None:
    with pytest.raises(NotFound):
        widgets.replace_widget(widget(revision=2), 1)
    with pytest.raises(NotFound):
        widgets.delete_widget("welcome")


def test_a_deleted_widget_is_gone(widgets: WidgetStore) -> None:
    widgets.create_widget(widget())

    widgets.delete_widget("welcome")

    assert widgets.widget("welcome") is None
    assert widgets.widgets() == []
