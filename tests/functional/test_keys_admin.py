"""Key administration: names are unique in a stage, and a revocation is recorded once."""

from __future__ import annotations

import json

import pytest

from chalicelib.cli.main import main
from chalicelib.clock import FixedClock
from chalicelib.errors import Conflict
from chalicelib.ports import Ports as Stores
from chalicelib.services.keys import create_key, revoke_key


def test_revoking_a_revoked_key_keeps_the_first_revocation_time(stores: Stores, clock: FixedClock) -> None:
    _, key = create_key(stores, "secret", "backend")
    first = revoke_key(stores, "backend")
    revoked_at = stores.keys.key(key.keyHash).revokedAt
    clock.advance(hours=1)

    again = revoke_key(stores, "backend")

    assert first.revokedAt is None and again.revokedAt == revoked_at
    assert stores.keys.key(key.keyHash).revokedAt == revoked_at


def test_the_cli_says_a_revoked_key_was_already_revoked(stores: Stores, capsys) -> None:
    create_key(stores, "secret", "backend")
    assert main(["keys", "revoke", "--stage", "test", "backend"]) == 0
    revoked_at = stores.keys.all_keys()[0].revokedAt
    capsys.readouterr()

    assert main(["keys", "revoke", "--stage", "test", "backend"]) == 0

    assert f"already revoked at {revoked_at}; nothing changed" in capsys.readouterr().out


def test_creating_a_key_under_a_taken_name_is_refused_naming_the_existing_key(stores: Stores) -> None:
    _, existing = create_key(stores, "secret", "backend")

    with pytest.raises(Conflict) as refused:
        create_key(stores, "site", "backend", origins=["https://shop.example"])

    assert existing.prefix in refused.value.message
    assert [k.name for k in stores.keys.all_keys()] == ["backend"]


def test_a_revoked_key_keeps_its_name(stores: Stores) -> None:
    create_key(stores, "secret", "backend")
    revoke_key(stores, "backend")

    with pytest.raises(Conflict) as refused:
        create_key(stores, "secret", "backend")

    assert "revoked at" in refused.value.message


def test_creating_the_same_key_again_replaces_it(stores: Stores) -> None:
    create_key(stores, "site", "site", origins=["https://a.example"], plaintext="opk_same_key_123456")

    _, again = create_key(stores, "site", "site", origins=["https://b.example"], plaintext="opk_same_key_123456")

    assert stores.keys.all_keys() == [again]


def test_the_cli_refuses_a_taken_name_with_exit_2_and_the_prefix(stores: Stores, capsys) -> None:
    assert main(["keys", "create", "--stage", "test", "--kind", "secret", "--name", "backend", "--json"]) == 0
    prefix = json.loads(capsys.readouterr().out)["prefix"]

    assert main(["keys", "create", "--stage", "test", "--kind", "secret", "--name", "backend"]) == 2

    err = capsys.readouterr().err
    assert "already exists" in err and prefix in err
