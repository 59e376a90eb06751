"""Additional-field use cases: declare, list, change and remove typed field declarations.

Rules when contacts already hold values:

* a change (``PATCH``) applies to writes from then on; values already stored are kept as they are and read back
  unchanged, even when they no longer meet the new constraints (the type never changes);
* a removal is refused (409) while any contact holds a value, unless ``force``: then the declaration goes, the
  values stay on the contacts and on their cards, a write may clear them (``null``) but not set them, and
  declaring the name again makes them writable again. Finding holders scans every contact (an admin operation).
"""

from __future__ import annotations

from chalicelib.contacts.fields import FieldDeclaration, FieldUpdate
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.ports import Ports
from chalicelib.validation import parse


def declare(ports: Ports, decl: FieldDeclaration) -> tuple[FieldDeclaration, bool]:
    """Declare a field; returns it and whether it is new. Declaring the same field again changes nothing;
    a different declaration under a taken name is a Conflict naming what differs."""
    try:
        ports.fields.add_field(decl)
        return decl, True
    except Conflict:
        existing = ports.fields.fields().get(decl.name)
        if existing is None:
            raise
    differs = existing.differences(decl)
    if not differs:
        return existing, False
    raise Conflict(
        f"Field {decl.name!r} is already declared differently (change it with PATCH /v1/fields/{decl.name})",
        [ErrorDetail(name, f"declared {getattr(existing, name)!r}, got {getattr(decl, name)!r}") for name in differs],
    )


def declared(ports: Ports) -> list[FieldDeclaration]:
    return sorted(ports.fields.fields().values(), key=lambda f: f.name)


def _existing(ports: Ports, name: str) -> FieldDeclaration:
    found = ports.fields.fields().get(name)
    if found is None:
        raise NotFound(f"Field {name!r} is not declared")
    return found


def update(ports: Ports, name: str, change: FieldUpdate) -> FieldDeclaration:
    """Change a declaration's description and constraints; new constraints apply to new writes only."""
    current = _existing(ports, name)
    if change.type is not None and change.type != current.type:
        raise InvalidInput(
            f"The type of field {name!r} cannot change",
            [ErrorDetail("type", f"is {current.type}; remove the field and declare it again to change it")],
        )
    updated = parse(FieldDeclaration, {**change.applied_to(current), "name": name})
    ports.fields.update_field(updated)
    return updated


def holders(ports: Ports, name: str) -> int:
    """How many contacts hold a value for the field (a scan of every contact)."""
    return sum(1 for rec in ports.contacts.scan() if name in rec.fields)


def remove(ports: Ports, name: str, force: bool = False) -> int:
    """Remove a declaration; returns how many contacts still hold a value. Refused while any does, unless force."""
    _existing(ports, name)
    count = holders(ports, name)
    if count and not force:
        raise Conflict(
            f"{count} contact(s) hold a value for field {name!r}; remove with ?force=true to keep the values "
            "readable but no longer writable",
            [ErrorDetail(name, f"held by {count} contact(s)")],
        )
    ports.fields.remove_field(name)
    return count
