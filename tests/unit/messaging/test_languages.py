"""Language versions: a version holds the fields that differ, is checked as the whole content it makes, and
rendering picks the contact's language (exact, then base language) else the default."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.messaging.render import render
from chalicelib.messaging.templates import TemplateIn
from chalicelib.validation import parse
from tests.unit.messaging.support import email

VERSIONS = {"uk": {"subject": "Привіт"}, "pt-BR": {"subject": "Olá"}, "de": {"subject": "Hallo", "preheader": None}}


def welcome():
    return email(subject="Hello", preheader="News", versions=VERSIONS)


def spoken(language_code: str | None) -> tuple[str, str]:
    rendered = render(welcome(), {"contact": {"languageCode": language_code}} if language_code else {})
    return rendered.language, rendered.content["subject"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("uk", ("uk", "Привіт")),
        ("uk-UA", ("uk", "Привіт")),  # its base language
        ("pt-BR", ("pt-BR", "Olá")),
        ("pt-br", ("pt-BR", "Olá")),  # codes compare ignoring case
        ("pt", ("en", "Hello")),  # a base language does not reach a regional version
        ("fr", ("en", "Hello")),  # no version: the default
        (None, ("en", "Hello")),
    ],
)
def test_rendering_picks_the_contacts_language_then_its_base_then_the_default(code, expected):
    assert spoken(code) == expected


def test_a_version_keeps_the_fields_it_does_not_give_and_null_removes_one():
    template = welcome()
    assert template.content_for("uk").model_dump(mode="json", exclude_none=True)["html"] == "<p>Hi</p>"
    assert template.content_for("uk").preheader == "News"
    assert template.content_for("de").preheader is None


def test_an_explicit_language_wins_over_the_contacts():
    assert render(welcome(), {"contact": {"languageCode": "uk"}}, "de").content["subject"] == "Hallo"


def test_a_version_is_checked_as_the_whole_content_it_makes():
    with pytest.raises(InvalidInput) as exc:
        email(versions={"uk": {"subject": "", "colour": "red"}, "de": {"html": None}})
    assert sorted(d.path for d in exc.value.details) == ["versions.de", "versions.uk.colour", "versions.uk.subject"]


def test_a_version_of_the_default_language_or_twice_the_same_code_is_refused():
    with pytest.raises(InvalidInput) as exc:
        email(
            language="en-GB", versions={"en-gb": {"subject": "x"}, "pt-BR": {"subject": "a"}, "pt-br": {"subject": "b"}}
        )
    assert [d.path for d in exc.value.details] == ["versions.en-gb", "versions.pt-br"]


def test_a_bad_language_code_is_named():
    with pytest.raises(InvalidInput) as exc:
        parse(
            TemplateIn,
            {
                "name": "t",
                "channel": "sms",
                "content": {"text": "x"},
                "language": "English",
                "versions": {"Ukrainian!": {"text": "y"}},
            },
        )
    assert sorted(d.path for d in exc.value.details) == ["language", "versions.Ukrainian!.[key]"]
