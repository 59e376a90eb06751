"""FieldStore: additional fields, each declared once, then changed or removed."""

from __future__ import annotations

import pytest

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import FieldStore


def declaration(name: str, **extra: object) -> FieldDeclaration:
    return FieldDeclaration.model_validate({"name": name, "type": "string", **extra})


def test_nothing_is_declared_at_first(fields: FieldStore) -> None:
    assert fields.fields() == {}


def test_a_declared_field_is_listed_by_name_as_declared(fields: FieldStore) -> None:
    tier = declaration("tier", options=["gold", "silver"], description="Loyalty tier")
    score = FieldDeclaration(name="score", type="number", minimum=0, maximum=10.5)

    fields.add_field(tier)
    fields.add_field(score)

    assert fields.fields() == {"tier": tier, "score": score}


def test_declaring_a_taken_name_is_a_conflict_and_keeps_the_first(fields: FieldStore) -> None:
    first = declaration("tier", maxLength=10)
    fields.add_field(first)

    with pytest.raises(Conflict):
        fields.add_field(FieldDeclaration(name="tier", type="number"))

    assert fields.fields() == {"tier": first}


def test_a_field_declared_after_a_read_shows_in_the_next_read(fields: FieldStore) -> None:
    fields.add_field(declaration("tier"))
    assert list(fields.fields()) == ["tier"]

    fields.add_field(declaration("segment"))

    assert sorted(fields.fields()) == ["segment", "tier"]


def test_an_updated_declaration_replaces_the_old_one(fields: FieldStore) -> None:
    fields.add_field(declaration("tier", maxLength=10))
    assert list(fields.fields()) == ["tier"]  # read (and, on DynamoDB, cached) before the change

    changed = declaration("tier", options=["gold"], description="Loyalty tier")
    fields.update_field(changed)

    assert fields.fields() == {"tier": changed}


def test_updating_an_undeclared_field_is_not_found_and_declares_nothing(fields: FieldStore) -> None:
    with pytest.raises(NotFound):
        fields.update_field(declaration("tier"))

    assert fields.fields() == {}


def test_a_removed_field_is_no_longer_listed_and_can_be_declared_again(fields: FieldStore) -> None:
    fields.add_field(declaration("tier"))
    fields.add_field(declaration("segment"))
    assert sorted(fields.fields()) == ["segment", "tier"]

    fields.remove_field("tier")

    assert list(fields.fields()) == ["segment"]
    again = FieldDeclaration(name="tier", type="number")
    fields.add_field(again)
    assert fields.fields()["tier"] == again


def test_removing_an_undeclared_field_is_not_found(fields: FieldStore) -> None:
    with pytest.raises(NotFound):
        fields.remove_field("tier")
