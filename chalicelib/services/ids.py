"""Ids of what the API creates under a name (templates, widgets, lists and segments): the id the caller asked
for, or one made from the name."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from chalicelib.errors import Conflict, ErrorDetail


def new_id(wanted: str | None, name: str, exists: Callable[[str], bool], kind: str, taken_by: str) -> str:
    """``wanted`` when it is free (Conflict naming ``id`` when it is ``taken_by`` another); else ``name`` as a
    slug (``kind`` when it has no letters or digits), with a random suffix while that is taken."""
    if wanted is not None:
        if exists(wanted):
            raise Conflict(f"The id {wanted!r} is taken", [ErrorDetail("id", f"is taken by {taken_by}")])
        return wanted
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or kind
    candidate = base
    while exists(candidate):
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate
