"""Boundary validation: identifiers, contact bodies, field declarations and values."""

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from chalicelib.contacts.fields import FieldDeclaration, validate_values
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import InvalidInput
from chalicelib.events.models import EventIn
from chalicelib.validation import Timestamp, UtcDatetime, parse


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


# --- times: one normalisation for every entry point (docs/tracking.md, Time) ---------------------------------


def test_a_time_with_an_offset_becomes_the_same_instant_in_utc():
    ts = TypeAdapter(Timestamp).validate_python("2026-11-27T02:00+05:00")
    assert ts.tzinfo is UTC and ts == datetime(2026, 11, 26, 21, tzinfo=UTC)


def test_a_time_without_offset_is_utc():
    assert TypeAdapter(Timestamp).validate_python("2026-11-27T02:00:00") == datetime(2026, 11, 27, 2, tzinfo=UTC)


def test_a_time_before_2000_is_rejected_naming_the_field():
    with pytest.raises(InvalidInput) as exc:
        parse(EventIn, {"type": "X", "externalId": "u", "timestamp": "1999-12-31T23:59:59Z"})
    assert [d.as_dict() for d in exc.value.details] == [
        {"path": "timestamp", "message": "must be 2000-01-01 (UTC) or later"}
    ]


def test_a_time_whose_offset_leaves_the_calendar_is_a_field_error_not_a_crash():
    with pytest.raises(InvalidInput) as exc:
        parse(EventIn, {"type": "X", "externalId": "u", "timestamp": "9999-12-31T23:00:00-05:00"})
    assert [d.as_dict() for d in exc.value.details] == [{"path": "timestamp", "message": "is out of range"}]


def test_stored_and_queued_times_are_normalised_but_not_bounded():
    at = TypeAdapter(UtcDatetime).validate_python("1999-12-31T23:00:00-05:00")
    assert at.tzinfo is UTC and at == datetime(2000, 1, 1, 4, tzinfo=UTC)
    assert TypeAdapter(UtcDatetime).validate_python("0999-01-01T00:00:00Z").year == 999


@pytest.mark.parametrize(("raw", "code"), [("usd", "USD"), (" Eur ", "EUR"), ("JPY", "JPY")])
def test_currency_codes_are_accepted_in_any_case_and_upper_cased(raw, code):
    from chalicelib.orders.money import currency_code

    assert currency_code(raw) == code


@pytest.mark.parametrize("raw", ["US", "USDX", "U$D", "ÜSD", ""])
def test_a_currency_that_is_not_three_letters_is_refused(raw):
    from chalicelib.orders.money import CURRENCY_RULE, currency_code

    with pytest.raises(ValueError, match=CURRENCY_RULE.replace("(", r"\(").replace(")", r"\)")):
        currency_code(raw)


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [("79.5", "USD", "79.50"), ("1200", "JPY", "1200"), ("1.25", "KWD", "1.250"), ("19.999", "USD", "19.999")],
)
def test_prices_are_shown_in_minor_units_without_rounding(value, currency, text):
    from decimal import Decimal

    from chalicelib.orders.money import shown

    assert shown(Decimal(value), currency) == text
