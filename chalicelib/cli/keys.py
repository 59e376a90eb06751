"""``keys create|list|revoke``: API keys are stored as SHA-256 digests; the plaintext is shown once."""

from __future__ import annotations

import argparse
import json
import string
from typing import Any

from chalicelib.auth.keys import ApiKey, KeyKind
from chalicelib.cli.stage import add_stage, build_ports
from chalicelib.ports import Ports
from chalicelib.services.keys import create_key, list_keys, revoke_key

HASH_SHOWN = 12


def register(commands: Any) -> None:
    create = commands.add_parser("create", help="create a key and print it once")
    add_stage(create)
    create.add_argument("--kind", required=True, choices=["secret", "site"], help="secret: server API; site: tracking")
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'shop backend' (unique in the stage)")
    create.add_argument(
        "--origin", action="append", default=[], help="allowed website origin (site keys; repeat for more)"
    )
    create.add_argument("--json", action="store_true", help="print JSON (key, prefix, keyHash, ...)")
    create.set_defaults(run=_create)

    listing = commands.add_parser("list", help="list keys (never the plaintext)")
    add_stage(listing)
    listing.add_argument("--json", action="store_true", help="print JSON with full key hashes")
    listing.set_defaults(run=_list)

    revoke = commands.add_parser("revoke", help="revoke a key by plaintext, hash (or unique hash prefix) or name")
    add_stage(revoke)
    revoke.add_argument("key", metavar="KEY_OR_HASH_OR_NAME")
    revoke.set_defaults(run=_revoke)


def _ports(args: argparse.Namespace) -> Ports:
    return build_ports(args.stage)


def _create(args: argparse.Namespace, _sleep: object) -> int:
    kind: KeyKind = args.kind
    secret, record = create_key(_ports(args), kind, args.name, args.origin or None)
    if args.json:
        print(json.dumps({"key": secret, **record.model_dump()}, indent=2))
        return 0
    print(f"Created {record.kind} key {record.name!r}.")
    print(f"  key:     {secret}")
    print(f"  prefix:  {record.prefix}")
    print(f"  hash:    {record.keyHash}")
    if record.origins:
        print(f"  origins: {', '.join(record.origins)}")
    print("Store the key now: Orbit keeps only its hash and cannot show it again.")
    return 0


def _row(key: ApiKey) -> list[str]:
    return [
        key.name,
        key.kind,
        key.prefix,
        key.keyHash[:HASH_SHOWN],
        ",".join(key.origins) or "-",
        key.createdAt,
        key.revokedAt or "-",
    ]


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


def _list(args: argparse.Namespace, _sleep: object) -> int:
    found = list_keys(_ports(args))
    if args.json:
        print(json.dumps([k.model_dump() for k in found], indent=2))
        return 0
    if not found:
        print(f"No keys in stage {args.stage!r}. Create one with: keys create --stage {args.stage} ...")
        return 0
    header = ["NAME", "KIND", "PREFIX", "HASH", "ORIGINS", "CREATED", "REVOKED"]
    print(table([_row(k) for k in found], header))
    return 0


def _resolve(ports: Ports, ident: str) -> str:
    """A unique hash prefix (at least 8 hex digits, as ``keys list`` shows) stands for the full hash."""
    if len(ident) < 8 or len(ident) >= 64 or any(c not in string.hexdigits for c in ident):
        return ident
    known = ports.keys.all_keys()
    if any(ident == k.name for k in known):
        return ident
    matches = [k.keyHash for k in known if k.keyHash.startswith(ident.lower())]
    return matches[0] if len(matches) == 1 else ident


def _revoke(args: argparse.Namespace, _sleep: object) -> int:
    ports = _ports(args)
    key = revoke_key(ports, _resolve(ports, args.key))
    described = f"{key.kind} key {key.name!r} ({key.prefix}..., hash {key.keyHash[:HASH_SHOWN]})"
    if key.revokedAt:
        print(f"The {described} was already revoked at {key.revokedAt}; nothing changed.")
    else:
        print(f"Revoked {described}.")
    return 0
