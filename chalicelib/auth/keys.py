"""Key generation, hashing and the pure checks; keys are stored only as SHA-256 digests.

Keys carry 192 bits of randomness, so a fast hash is enough (no password stretching needed);
the plaintext is shown once, when the key is created.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from chalicelib.errors import Forbidden, InvalidInput, Unauthorized

KeyKind = Literal["secret", "site"]
PREFIX: dict[str, str] = {"secret": "osk_", "site": "opk_"}


class ApiKey(BaseModel):
    """A stored key (never the plaintext)."""

    keyHash: str
    kind: KeyKind
    name: str
    prefix: str = Field(description="First characters of the key, to tell keys apart")
    origins: list[str] = Field(default_factory=list, description="Allowed origins (site keys)")
    createdAt: str
    revokedAt: str | None = None

    @property
    def active(self) -> bool:
        return self.revokedAt is None


def generate(kind: KeyKind) -> str:
    return PREFIX[kind] + secrets.token_urlsafe(24)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def normalize_origin(origin: str) -> str:
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise InvalidInput(f"{origin!r} is not an origin like https://shop.example")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def credentials(authorization: str | None) -> list[str]:
    """Candidate keys in an Authorization header: a Bearer token, or Basic password then user name.

    eSputnik-style clients send the secret key as the Basic password (any user name); Segment's
    libraries send the site key as the Basic user name.
    """
    if not authorization:
        return []
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return [value.strip()] if value.strip() else []
    if scheme.lower() != "basic":
        return []
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []
    user, _, password = decoded.partition(":")
    return [c for c in (password, user) if c]


def require(key: ApiKey | None, kind: KeyKind) -> ApiKey:
    if key is None or not key.active:
        raise Unauthorized("A valid API key is required")
    if key.kind != kind:
        if kind == "secret":
            raise Forbidden("A site key cannot call the server API; use a secret key")
        raise Forbidden("Use a site key for the tracking API")
    return key


def origin_allowed(key: ApiKey, origin: str | None) -> bool:
    """Site keys only work from their allowed origins; calls without Origin are servers."""
    if origin is None:
        return True
    return "*" in key.origins or origin.rstrip("/").lower() in key.origins
