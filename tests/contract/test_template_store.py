"""TemplateStore: message templates by id, each created once, replaced at the revision it was read at, listed
oldest first, and read back exactly as written (every channel, language versions, nested content, unicode)."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.templates import Template
from chalicelib.ports import Ports, TemplateStore

HTML = "<html><body><p>Привіт, {{ contact.firstName | default('друже') }} 👋</p>" + "<p>x</p>" * 5000 + "</body></html>"


@pytest.fixture
def templates(wired: Ports) -> TemplateStore:
    return wired.templates


def template(template_id: str = "welcome", at: str = "2026-11-27T12:00:00.000Z", **changes: object) -> Template:
    built = Template(
        id=template_id,
        name=f"Template {template_id}",
        channel="email",
        tags=("onboarding", "vip"),
        description="sent after sign-up",
        language="en",
        content={"from": "Shop <shop@example.com>", "subject": "Hi {{ contact.firstName }}", "html": HTML},
        versions={"uk": {"subject": "Привіт", "preheader": None}, "pt-BR": {"subject": "Olá"}},
        createdAt=at,
        updatedAt=at,
    )
    return built.model_copy(update=changes)


def test_a_template_reads_back_as_created(templates: TemplateStore) -> None:
    templates.create_template(template())

    assert templates.template("welcome") == template()
    assert templates.template("missing") is None


def test_nested_content_of_other_channels_reads_back_as_written(templates: TemplateStore) -> None:
    push = template(
        "push",
        channel="mobilepush",
        content={"body": "{{ products[0].name }}", "data": {"id": "{{ products[0].id }}", "n": "1"}},
        versions={},
        tags=(),
        description=None,
    )
    telegram = template(
        "tg",
        channel="telegram",
        content={"text": "t", "parseMode": "HTML", "buttons": [[{"text": "Go", "url": "https://x.example"}]]},
        versions={"uk": {"buttons": []}},
    )
    for written in (push, telegram):
        templates.create_template(written)

    assert templates.template("push") == push
    assert templates.template("tg") == telegram


def test_creating_a_taken_id_is_a_conflict_and_keeps_the_first(templates: TemplateStore) -> None:
    templates.create_template(template())

    with pytest.raises(Conflict):
        templates.create_template(template(name="Other"))

    assert templates.template("welcome") == template()


def test_templates_are_listed_oldest_first_then_by_id(templates: TemplateStore) -> None:
    templates.create_template(template("b", at="2026-11-27T12:00:02.000Z"))
    templates.create_template(template("c", at="2026-11-27T12:00:01.000Z"))
    templates.create_template(template("a", at="2026-11-27T12:00:02.000Z"))

    assert [t.id for t in templates.templates()] == ["c", "a", "b"]


def test_nothing_is_listed_at_first(templates: TemplateStore) -> None:
    assert templates.templates() == []


def test_a_replacement_at_the_read_revision_is_stored(templates: TemplateStore) -> None:
    templates.create_template(template())
    changed = template(name="Welcome v2", revision=2, updatedAt="2026-11-27T13:00:00.000Z", versions={})

    templates.replace_template(changed, expected_revision=1)

    assert templates.template("welcome") == changed
    assert templates.templates() == [changed]


def test_a_replacement_at_a_stale_revision_is_a_conflict_and_writes_nothing(templates: TemplateStore) -> None:
    templates.create_template(template())
    templates.replace_template(template(name="v2", revision=2), expected_revision=1)

    with pytest.raises(Conflict):
        templates.replace_template(template(name="v3", revision=2), expected_revision=1)

    assert templates.template("welcome") == template(name="v2", revision=2)


def test_replacing_a_missing_template_is_not_found_and_creates_nothing(templates: TemplateStore) -> None:
    with pytest.raises(NotFound):
        templates.replace_template(template(revision=2), expected_revision=1)

    assert templates.template("welcome") is None


def test_a_deleted_template_is_gone_and_its_id_free_again(templates: TemplateStore) -> None:
    templates.create_template(template())
    templates.create_template(template("other"))

    templates.delete_template("welcome")

    assert templates.template("welcome") is None
    assert [t.id for t in templates.templates()] == ["other"]
    templates.create_template(template(name="Again"))
    assert templates.template("welcome") == template(name="Again")


def test_deleting_a_missing_template_is_not_found(templates: TemplateStore) -> None:
    with pytest.raises(NotFound):
        templates.delete_template("welcome")


def test_a_read_hands_out_a_copy(templates: TemplateStore) -> None:
    templates.create_template(template())
    read = templates.template("welcome")
    assert read is not None

    read.content["subject"] = "changed by the caller"
    read.versions["uk"]["subject"] = "changed"

    assert templates.template("welcome") == template()
