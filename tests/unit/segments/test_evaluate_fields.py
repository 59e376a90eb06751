"""Field conditions: values by type, text case rules, lists, missing values, undeclared fields."""

from decimal import Decimal

import pytest

from tests.unit.segments.support import contact, holds, verdict

TYPES = {"city": "string", "score": "number", "vip": "boolean", "tags": "stringList", "born": "date"}


def field(name: str, op: str, value: object = None, **values: object) -> bool:
    rule = {"field": f"fields.{name}", "op": op, **({"value": value} if value is not None else {})}
    return holds(rule, contact(fields=values), field_types=TYPES)


def test_text_equality_is_case_sensitive():
    assert field("city", "eq", "Kyiv", city="Kyiv") and not field("city", "eq", "kyiv", city="Kyiv")


@pytest.mark.parametrize(("op", "value"), [("contains", "YI"), ("startsWith", "ky"), ("endsWith", "IV")])
def test_contains_starts_and_ends_ignore_case(op: str, value: str):
    assert field("city", op, value, city="Kyiv")


def test_in_and_not_in_compare_exact_text():
    assert field("city", "in", ["Lviv", "Kyiv"], city="Kyiv")
    assert field("city", "notIn", ["kyiv"], city="Kyiv")


def test_text_orders_by_code_point():
    assert field("city", "lt", "Lviv", city="Kyiv") and not field("city", "gt", "Lviv", city="Kyiv")


def test_numbers_compare_numerically_not_as_text():
    assert field("score", "gt", 9, score=10) and field("score", "between", [9.5, 10], score=10)


def test_numbers_stored_as_decimal_compare_with_floats():
    assert field("score", "eq", 2.5, score=Decimal("2.5"))


def test_a_number_is_never_contained_in_text():
    assert not field("score", "contains", "1", score=10)


def test_booleans_compare_for_equality_only():
    assert field("vip", "eq", True, vip=True) and field("vip", "ne", True, vip=False)
    assert not field("vip", "gt", False, vip=True)


def test_a_string_list_matches_when_any_element_does():
    assert field("tags", "eq", "b", tags=["a", "b"]) and field("tags", "contains", "B", tags=["a", "b"])
    assert field("tags", "in", ["x", "a"], tags=["a", "b"])


def test_ne_and_not_in_on_a_list_mean_no_element():
    assert not field("tags", "ne", "a", tags=["a", "b"]) and field("tags", "ne", "c", tags=["a", "b"])
    assert not field("tags", "notIn", ["b"], tags=["a", "b"])


@pytest.mark.parametrize("missing", [None, "", []])
def test_a_missing_value_is_empty_not_set(missing: object):
    values = {"city": missing} if missing is not None else {}
    assert field("city", "isEmpty", **values) and not field("city", "isSet", **values)


@pytest.mark.parametrize(("op", "value"), [("ne", "Kyiv"), ("notIn", ["Kyiv"])])
def test_a_missing_value_is_not_equal_to_anything(op: str, value: object):
    assert field("city", op, value)


@pytest.mark.parametrize(
    ("op", "value"), [("eq", "Kyiv"), ("in", ["Kyiv"]), ("contains", "K"), ("gt", "A"), ("between", ["A", "Z"])]
)
def test_a_missing_value_fails_every_other_operator(op: str, value: object):
    assert not field("city", op, value)


def test_a_value_unreadable_as_its_type_counts_as_missing():
    assert field("score", "isEmpty", score="n/a") and field("score", "ne", 3, score="n/a")


def test_an_undeclared_field_is_typed_by_its_value():
    record = contact(fields={"level": 7, "since": "2026-01-02"})
    assert holds({"field": "fields.level", "op": "gt", "value": 10}, record) is False
    assert holds({"field": "fields.since", "op": "before", "value": "2026-02-01"}, record)


def test_dates_compare_as_calendar_dates():
    assert field("born", "gte", "1990-05-01", born="1990-05-01") and field(
        "born", "after", "1990-04-30", born="1990-05-01"
    )


def test_standard_fields_read_the_profile_the_address_and_the_key():
    record = contact(profile={"email": "ann@example.com", "address": {"town": "Lviv"}})
    assert holds({"field": "email", "op": "endsWith", "value": "@EXAMPLE.com"}, record)
    assert holds({"field": "address.town", "op": "eq", "value": "Lviv"}, record)
    assert holds({"field": "externalId", "op": "eq", "value": "c-1"}, record)
    assert holds({"field": "address.country", "op": "isEmpty"}, record)


def test_created_at_is_a_date_time():
    assert holds({"field": "createdAt", "op": "before", "value": "2026-01-15T09:00:00Z"})
    assert not holds({"field": "createdAt", "op": "before", "value": "2026-01-15T08:00:00Z"})


def test_a_field_condition_explains_the_value_and_type_it_read():
    found = verdict({"field": "fields.score", "op": "gt", "value": 1}, contact(fields={"score": Decimal(3)}))
    assert found.explanation[0].used == {"value": 3, "type": "number"}
