"""The send ledger's keys: one claim per (origin, step, contact, channel), so a retried request, a redelivered
queue message or a workflow step that runs twice finds the message the first attempt claimed instead of sending
another.

``origin`` names what asked (``api:<externalRequestId>``, ``campaign:<id>``, ``workflow:<id>:<run>``), ``step``
the part of it that sends (a workflow block, a campaign wave; empty for a single send). The stored key is the
SHA-256 of the four parts as canonical JSON, so any External ID or request id fits a DynamoDB key and no part can
run into the next.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerKey:
    origin: str
    step: str
    contact_key: str
    channel: str

    @property
    def digest(self) -> str:
        parts = [self.origin, self.step, self.contact_key, self.channel]
        canonical = json.dumps(parts, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The ledger's record that ``key`` sends as ``message_id`` (the first claim wins; later ones get it back)."""

    key: LedgerKey
    message_id: str
    claimed_at: str


def api_origin(external_request_id: str) -> str:
    """The origin of ``POST /v1/messages/send`` with a client's ``externalRequestId``."""
    return f"api:{external_request_id}"
