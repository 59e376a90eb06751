"""Additional fields: declarations and validation of values against them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.errors import ErrorDetail

FieldType = Literal["string", "number", "boolean", "date", "datetime", "stringList"]
NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
TEXT_TYPES = ("string", "stringList")
TEXT_CONSTRAINTS = ("options", "pattern", "maxLength")


class FieldDeclaration(BaseModel):
    """``POST /v1/fields``: a typed additional field with optional constraints."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME, description="Letters, digits and _, starting with a letter")
    type: FieldType
    description: str | None = Field(default=None, max_length=500)
    maxLength: int | None = Field(default=None, ge=1, le=10_000)
    minimum: float | None = None
    maximum: float | None = None
    options: list[str] | None = Field(default=None, min_length=1, max_length=500, description="Allowed values")
    pattern: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> FieldDeclaration:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        if self.type != "number" and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"minimum/maximum apply to number fields only, not {self.type}")
        if self.type not in TEXT_TYPES:
            misplaced = [c for c in TEXT_CONSTRAINTS if getattr(self, c) is not None]
            if misplaced:
                raise ValueError(f"{'/'.join(misplaced)} apply to string and stringList fields only, not {self.type}")
        return self

    def differences(self, other: FieldDeclaration) -> list[str]:
        """The attributes whose values differ from ``other``'s, in declaration order."""
        mine, theirs = self.model_dump(), other.model_dump()
        return [name for name in mine if mine[name] != theirs[name]]


class FieldUpdate(BaseModel):
    """``PATCH /v1/fields/{name}``: the description and constraints to change (absent: kept; ``null``: removed).
    The type cannot change. New constraints apply to writes from now on; stored values are kept as they are."""

    model_config = ConfigDict(extra="forbid")

    type: FieldType | None = Field(default=None, description="Optional; must equal the declared type")
    description: str | None = Field(default=None, max_length=500)
    maxLength: int | None = Field(default=None, ge=1, le=10_000)
    minimum: float | None = None
    maximum: float | None = None
    options: list[str] | None = Field(default=None, min_length=1, max_length=500, description="Allowed values")
    pattern: str | None = Field(default=None, max_length=500)

    def applied_to(self, decl: FieldDeclaration) -> dict[str, Any]:
        """``decl``'s attributes with this update applied (validate the result as a FieldDeclaration)."""
        return {**decl.model_dump(), **{name: getattr(self, name) for name in self.model_fields_set}}


class FieldRemoved(BaseModel):
    """``DELETE /v1/fields/{name}``: the declaration is gone; values contacts hold stay readable."""

    name: str
    removed: bool = True
    contactsWithValues: int = Field(
        description="Contacts still holding a value: shown on their cards, cleared with null, no longer writable"
    )


class FieldList(BaseModel):
    fields: list[FieldDeclaration]


def _check_string(decl: FieldDeclaration, value: str) -> str | None:
    if decl.maxLength is not None and len(value) > decl.maxLength:
        return f"must be at most {decl.maxLength} characters"
    if decl.options is not None and value not in decl.options:
        return f"must be one of {', '.join(decl.options)}"
    if decl.pattern is not None and not re.fullmatch(decl.pattern, value):
        return f"must match {decl.pattern}"
    return None


def coerce(decl: FieldDeclaration, value: Any) -> tuple[Any, str | None]:
    """Return (stored value, error message or None)."""
    if decl.type == "string":
        if not isinstance(value, str):
            return None, "must be a string"
        return value, _check_string(decl, value)
    if decl.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "must be a number"
        if decl.minimum is not None and value < decl.minimum:
            return None, f"must be at least {decl.minimum:g}"
        if decl.maximum is not None and value > decl.maximum:
            return None, f"must be at most {decl.maximum:g}"
        return value, None
    if decl.type == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if decl.type == "date":
        try:
            return date.fromisoformat(value).isoformat(), None
        except (TypeError, ValueError):
            return None, "must be a date like 2024-05-31"
    if decl.type == "datetime":
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return None, "must be an ISO 8601 date-time like 2024-05-31T10:00:00Z"
        return parsed.isoformat(), None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, "must be a list of strings"
    for item in value:
        problem = _check_string(decl, item)
        if problem:
            return None, f"each item {problem}"
    return value, None


def validate_values(
    declared: dict[str, FieldDeclaration], values: dict[str, Any], path: str = "fields"
) -> tuple[dict[str, Any], list[ErrorDetail]]:
    """Check every value against its declaration; ``None`` means remove the field."""
    clean: dict[str, Any] = {}
    errors: list[ErrorDetail] = []
    for name, value in values.items():
        decl = declared.get(name)
        if decl is None and value is None:
            clean[name] = None  # clearing a value left behind by a removed declaration
            continue
        if decl is None:
            errors.append(ErrorDetail(f"{path}.{name}", "is not a declared field (declare it with POST /v1/fields)"))
            continue
        if value is None:
            clean[name] = None
            continue
        stored, problem = coerce(decl, value)
        if problem:
            errors.append(ErrorDetail(f"{path}.{name}", problem))
        else:
            clean[name] = stored
    return clean, errors
