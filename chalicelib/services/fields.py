"""Additional-field use cases: declare a typed field, list the declared ones."""

from __future__ import annotations

from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.ports import Ports


def declare(ports: Ports, decl: FieldDeclaration) -> FieldDeclaration:
    """Declare a field once (Conflict when the name is taken)."""
    ports.fields.add_field(decl)
    return decl


def declared(ports: Ports) -> list[FieldDeclaration]:
    return sorted(ports.fields.fields().values(), key=lambda f: f.name)
