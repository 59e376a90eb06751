"""Pure contact rules: what an External ID may be, and how a partial update applies to a record."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import ErrorDetail, InvalidInput

_EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")


def check_external_id(external_id: str) -> str:
    if not external_id.strip():
        raise InvalidInput("The External ID is required", [ErrorDetail("externalId", "is required")])
    if not _EXTERNAL_ID.match(external_id) or external_id != external_id.strip():
        raise InvalidInput(
            "The External ID is invalid",
            [ErrorDetail("externalId", "must be 1-256 characters, no control characters or outer spaces")],
        )
    return external_id


def apply_patch(rec: ContactRecord, patch: dict[str, Any], clean_fields: dict[str, Any]) -> None:
    """Partial update: absent keeps, null clears; fields merge key by key; channels replace."""
    for name, value in patch.items():
        if name == "fields":
            continue
        if name == "channels":
            rec.channels = value or []
        elif value is None:
            rec.profile.pop(name, None)
        else:
            rec.profile[name] = value
    for name, value in clean_fields.items():
        if value is None:
            rec.fields.pop(name, None)
        else:
            rec.fields[name] = value


def same_state(rec: ContactRecord, old: ContactRecord) -> bool:
    """True when a write of ``rec`` over ``old`` would change nothing but timestamps."""
    return (rec.kind, rec.profile, rec.fields, rec.channels, rec.aggs, rec.merged) == (
        old.kind,
        old.profile,
        old.fields,
        old.channels,
        old.aggs,
        old.merged,
    )
