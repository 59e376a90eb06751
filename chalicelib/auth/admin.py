"""Key administration used by the operator CLI and the local runtime: create, list, revoke."""

from __future__ import annotations

from chalicelib.auth.keys import PREFIX, ApiKey, KeyKind, digest, generate, normalize_origin
from chalicelib.deps import Stores
from chalicelib.errors import InvalidInput, NotFound


def create_key(
    stores: Stores, kind: KeyKind, name: str, origins: list[str] | None = None, plaintext: str | None = None
) -> tuple[str, ApiKey]:
    """Create a key; returns the plaintext (shown once) and the stored record."""
    if kind == "site" and not origins:
        raise InvalidInput("A site key needs at least one allowed origin (--origin https://shop.example)")
    if kind == "secret" and origins:
        raise InvalidInput("Secret keys are for servers; they take no origins")
    secret = plaintext or generate(kind)
    if len(secret) < 16:
        raise InvalidInput("Keys must be at least 16 characters long")
    normalized = ["*" if o == "*" else normalize_origin(o) for o in origins or []]
    record = ApiKey(
        keyHash=digest(secret),
        kind=kind,
        name=name,
        prefix=secret[: len(PREFIX[kind]) + 4],
        origins=normalized,
        createdAt=stores.clock.now().isoformat(),
    )
    stores.meta.add_key(record)
    return secret, record


def list_keys(stores: Stores) -> list[ApiKey]:
    return sorted(stores.meta.keys(), key=lambda k: k.createdAt)


def revoke_key(stores: Stores, ident: str) -> ApiKey:
    """Revoke by key hash, by the plaintext key, or by a unique name."""
    keys = stores.meta.keys()
    matches = [k for k in keys if ident in (k.keyHash, digest(ident), k.name)]
    if not matches:
        raise NotFound(f"No key matches {ident!r}")
    if len(matches) > 1:
        raise InvalidInput(f"{ident!r} matches {len(matches)} keys; use the key hash")
    key = matches[0]
    stores.meta.revoke_key(key, stores.clock.now().isoformat())
    return key
