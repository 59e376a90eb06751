"""Opaque listing cursors: a prefix naming the listing (``"ob1."`` the outbox, ``"in1."`` an inbox ...), then the
position a page continues from as base64url JSON. Each listing checks the fields of its position; anything that
is not a cursor of the listing is InvalidInput naming ``cursor`` (``errors.bad_cursor``)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.errors import bad_cursor


def encode_cursor(prefix: str, position: dict[str, Any]) -> str:
    return prefix + base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_cursor(prefix: str, cursor: str) -> dict[str, Any]:
    """The position a cursor ``encode_cursor(prefix, ...)`` made carries; InvalidInput for anything else."""
    if not cursor.startswith(prefix):
        raise bad_cursor()
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor[len(prefix) :].encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise bad_cursor() from exc
    if not isinstance(position, dict):
        raise bad_cursor()
    return position
