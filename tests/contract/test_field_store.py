"""FieldStore: additional fields, each declared once."""

from __future__ import annotations

import pytest

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Conflict
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
