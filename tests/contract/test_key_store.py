"""KeyStore: API keys by the digest of the plaintext; adding and revoking show through the same store."""

from __future__ import annotations

from chalicelib.auth.keys import ApiKey, digest
from chalicelib.ports import KeyStore


def api_key(plaintext: str = "osk_contract_secret_0001", kind: str = "secret", **extra: object) -> ApiKey:
    return ApiKey.model_validate(
        {
            "keyHash": digest(plaintext),
            "kind": kind,
            "name": f"key {plaintext[-4:]}",
            "prefix": plaintext[:8],
            "createdAt": "2026-11-27T12:00:00+00:00",
            **extra,
        }
    )


def test_an_unknown_digest_finds_no_key(keys: KeyStore) -> None:
    assert keys.key(digest("osk_never_created_0000")) is None
    assert keys.all_keys() == []


def test_an_added_key_is_found_by_its_digest(keys: KeyStore) -> None:
    site = api_key("opk_contract_site_0001", kind="site", origins=["https://shop.example"])

    keys.add_key(site)

    assert keys.key(site.keyHash) == site


def test_a_key_added_after_a_missed_lookup_is_found(keys: KeyStore) -> None:
    # GIVEN a lookup of a key that did not exist yet
    key = api_key()
    assert keys.key(key.keyHash) is None
    # WHEN it is added
    keys.add_key(key)
    # THEN the same store finds it (a missed lookup is not remembered past the add)
    assert keys.key(key.keyHash) == key


def test_all_keys_lists_every_key(keys: KeyStore) -> None:
    added = [api_key(f"osk_contract_secret_000{n}") for n in range(3)]
    for key in added:
        keys.add_key(key)

    assert sorted(keys.all_keys(), key=lambda k: k.keyHash) == sorted(added, key=lambda k: k.keyHash)


def test_a_revoked_key_shows_as_revoked(keys: KeyStore) -> None:
    key = api_key()
    keys.add_key(key)
    assert keys.key(key.keyHash) == key  # looked up (and maybe cached) before the revocation

    keys.revoke_key(key, "2026-11-28T09:00:00+00:00")

    found = keys.key(key.keyHash)
    assert found is not None and not found.active and found.revokedAt == "2026-11-28T09:00:00+00:00"
    assert [k.revokedAt for k in keys.all_keys()] == ["2026-11-28T09:00:00+00:00"]
