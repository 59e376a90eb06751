"""Boundary validation: identifiers, contact bodies, field declarations and values."""

import pytest

from chalicelib.contacts.fields import FieldDeclaration, validate_values
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput
from chalicelib.events.models import EventIn
from chalicelib.validation import parse


def paths(exc: InvalidInput) -> list[str]:
    return [d.path for d in exc.details]


def test_every_bad_contact_field_is_named():
    with pytest.raises(InvalidInput) as exc:
        parse(ContactIn, {"email": "nope", "phone": "123", "timeZone": "Mars/Base", "nickname": "x"})
    assert sorted(paths(exc.value)) == ["email", "nickname", "phone", "timeZone"]


def test_phone_is_normalised_to_e164():
    assert parse(ContactIn, {"phone": "+380 50 123-45-67"}).phone == "+380501234567"


def test_email_is_lowercased():
    assert parse(ContactIn, {"email": "Ann@Example.COM"}).email == "ann@example.com"


def test_an_event_needs_an_identifier():
    with pytest.raises(InvalidInput) as exc:
        parse(EventIn, {"type": "X"})
    assert "one of externalId" in exc.value.details[0].message


def test_event_type_rejects_esputnik_forbidden_characters():
    with pytest.raises(InvalidInput) as exc:
        parse(EventIn, {"type": "a/b", "externalId": "u"})
    assert paths(exc.value) == ["type"]


def test_undeclared_and_mistyped_fields_are_named():
    declared = {"age": FieldDeclaration(name="age", type="number", minimum=0)}
    _, errors = validate_values(declared, {"age": "old", "shoe": 42})
    assert sorted(e.path for e in errors) == ["fields.age", "fields.shoe"]


def test_field_values_respect_constraints():
    declared = {"tier": FieldDeclaration(name="tier", type="string", options=["gold", "silver"])}
    clean, errors = validate_values(declared, {"tier": "gold"})
    assert (clean, errors) == ({"tier": "gold"}, [])
    _, errors = validate_values(declared, {"tier": "bronze"})
    assert errors[0].message == "must be one of gold, silver"


def test_dates_are_checked_and_normalised():
    declared = {"birthday": FieldDeclaration(name="birthday", type="date")}
    assert validate_values(declared, {"birthday": "1990-05-01"})[0] == {"birthday": "1990-05-01"}
    assert validate_values(declared, {"birthday": "01/05/1990"})[1][0].path == "fields.birthday"
