"""API key use cases (the operator CLI and the local runtime): create, list, revoke, and authenticate.

A key's name is unique in its stage (revoked keys keep theirs), so revoking by name is never ambiguous; creating
the very same key again (the same plaintext, as the local runtime does at each start) replaces it. Revoking a
revoked key changes nothing: the first ``revokedAt`` stays."""

from __future__ import annotations

from chalicelib.auth.keys import PREFIX, ApiKey, KeyKind, digest, generate, normalize_origin
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.ports import Ports


def create_key(
    ports: Ports, kind: KeyKind, name: str, origins: list[str] | None = None, plaintext: str | None = None
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
    _check_name_free(ports, name, digest(secret))
    record = ApiKey(
        keyHash=digest(secret),
        kind=kind,
        name=name,
        prefix=secret[: len(PREFIX[kind]) + 4],
        origins=normalized,
        createdAt=ports.clock.now().isoformat(),
    )
    ports.keys.add_key(record)
    return secret, record


def _check_name_free(ports: Ports, name: str, key_hash: str) -> None:
    """Conflict naming the key that already has ``name`` (another key than ``key_hash``)."""
    for other in ports.keys.all_keys():
        if other.name == name and other.keyHash != key_hash:
            state = f", revoked at {other.revokedAt}" if other.revokedAt else ""
            raise Conflict(
                f"A key named {name!r} already exists ({other.prefix}...{state}); choose another name",
                [ErrorDetail("name", f"is taken by the {other.kind} key {other.prefix}...{state}")],
            )


def list_keys(ports: Ports) -> list[ApiKey]:
    return sorted(ports.keys.all_keys(), key=lambda k: k.createdAt)


def revoke_key(ports: Ports, ident: str) -> ApiKey:
    """Revoke by key hash, by the plaintext key, or by name; returns the key as it was before (a key revoked
    already keeps its first ``revokedAt`` and is returned unchanged)."""
    matches = [k for k in ports.keys.all_keys() if ident in (k.keyHash, digest(ident), k.name)]
    if not matches:
        raise NotFound(f"No key matches {ident!r}")
    if len(matches) > 1:
        raise InvalidInput(f"{ident!r} matches {len(matches)} keys; use the key hash")
    key = matches[0]
    if key.revokedAt is not None:
        return key
    ports.keys.revoke_key(key, ports.clock.now().isoformat())
    return key


def find_key(ports: Ports, presented: list[str]) -> ApiKey | None:
    """The stored key among the plaintexts a request presented (the first that is known)."""
    for candidate in presented:
        found = ports.keys.key(digest(candidate))
        if found is not None:
            return found
    return None
