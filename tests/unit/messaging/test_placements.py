"""Display rules of on-site widgets (messaging/placements.py): where, how often and for whom a widget shows, and
the fields that must go together."""

from __future__ import annotations

from typing import Any

from chalicelib.messaging.placements import DAY_SECONDS, DisplayRules, Visit, Widget, WidgetIn, applies, problems

NOW = 1_800_000_000.0
AT = "2026-11-27T12:00:00.000Z"


def widget(kind: str = "banner", enabled: bool = True, **rules: Any) -> Widget:
    extra: dict[str, Any] = {"text": "Free shipping today"} if kind == "banner" else {"templateId": "hello"}
    return Widget(
        id="w1", name="W", kind=kind, enabled=enabled, rules=DisplayRules(**rules), createdAt=AT, updatedAt=AT, **extra
    )


def visit(path: str = "/", **changes: Any) -> Visit:
    return Visit(path=path, now=NOW, **changes)


def fields(body: dict[str, Any]) -> list[str]:
    return [d.path for d in problems(WidgetIn.model_validate(body))]


def test_without_rules_a_widget_applies_everywhere() -> None:
    assert applies(widget(), visit("/any/page"))


def test_a_disabled_widget_never_applies() -> None:
    assert not applies(widget(enabled=False), visit())


def test_path_contains_matches_part_of_the_path() -> None:
    rule = widget(pathContains="/cart")

    assert applies(rule, visit("/shop/cart/step-1"))
    assert not applies(rule, visit("/shop/checkout"))


def test_path_equals_matches_the_whole_path_with_or_without_a_trailing_slash() -> None:
    rule = widget(pathEquals="/demo/cart")

    assert applies(rule, visit("/demo/cart/"))
    assert not applies(rule, visit("/demo/cart/items"))


def test_a_widget_shown_within_every_days_is_not_due() -> None:
    rule = widget(everyDays=3)

    assert not applies(rule, visit(shown={"w1": NOW - 3 * DAY_SECONDS + 1}))
    assert applies(rule, visit(shown={"w1": NOW - 3 * DAY_SECONDS}))


def test_every_days_zero_shows_on_every_page_view() -> None:
    assert applies(widget(everyDays=0), visit(shown={"w1": NOW}))


def test_a_widget_whose_form_was_sent_never_shows_again() -> None:
    assert not applies(widget(everyDays=0), visit(submitted=frozenset({"w1"})))


def test_audience_unknown_leaves_out_known_contacts() -> None:
    rule = widget(audience="unknown")

    assert applies(rule, visit(known=False))
    assert not applies(rule, visit(known=True))


def test_audience_segment_shows_to_its_members_only() -> None:
    rule = widget(audience="segment", segmentId="vip")

    assert applies(rule, visit(segments=frozenset({"vip", "new"})))
    assert not applies(rule, visit(segments=frozenset({"new"})))


def test_a_popup_needs_a_form_and_a_text() -> None:
    assert fields({"name": "P", "kind": "popup"}) == ["form", "text"]


def test_an_inapp_widget_needs_a_template_and_takes_no_text() -> None:
    assert fields({"name": "I", "kind": "inapp", "text": "hi"}) == ["templateId", "text"]


def test_rules_that_contradict_each_other_are_named() -> None:
    body = {
        "name": "B",
        "kind": "banner",
        "text": "t",
        "rules": {"pathContains": "/a", "pathEquals": "/b", "audience": "segment"},
    }

    assert fields(body) == ["rules.pathEquals", "rules.segmentId"]


def test_fields_of_another_kind_are_named() -> None:
    body = {"name": "B", "kind": "banner", "text": "t", "templateId": "x", "form": {"fields": ["email"]}}

    assert fields(body) == ["form", "templateId"]


def test_a_banner_link_needs_both_parts_and_an_http_url_or_a_path() -> None:
    assert fields({"name": "B", "kind": "banner", "text": "t", "linkUrl": "javascript:alert(1)"}) == [
        "linkUrl",
        "linkText",
    ]
    assert fields({"name": "B", "kind": "banner", "text": "t", "linkText": "Go", "linkUrl": "/sale"}) == []
