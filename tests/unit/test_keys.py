"""Key rules: credentials from headers, kinds, origins."""

import base64

import pytest

from chalicelib.auth.keys import ApiKey, credentials, digest, normalize_origin, origin_allowed, require
from chalicelib.errors import Forbidden, InvalidInput, Unauthorized


def key(kind: str, origins: list[str] | None = None, revoked: str | None = None) -> ApiKey:
    return ApiKey(
        keyHash=digest("k"), kind=kind, name="n", prefix="p", origins=origins or [], createdAt="t", revokedAt=revoked
    )


def test_basic_auth_password_is_the_secret_key():
    header = "Basic " + base64.b64encode(b"any-user:osk_secret").decode()
    assert credentials(header)[0] == "osk_secret"


def test_basic_auth_username_is_the_site_key():
    header = "Basic " + base64.b64encode(b"opk_site:").decode()
    assert credentials(header) == ["opk_site"]


def test_bearer_tokens_are_accepted():
    assert credentials("Bearer osk_x") == ["osk_x"]


def test_garbage_authorization_is_no_credential():
    assert credentials("Basic !!!") == []


def test_a_site_key_on_the_server_api_is_forbidden():
    with pytest.raises(Forbidden):
        require(key("site"), "secret")


def test_a_revoked_key_is_unauthorized():
    with pytest.raises(Unauthorized):
        require(key("secret", revoked="2026-01-01"), "secret")


def test_origins_are_checked_exactly():
    site = key("site", ["https://shop.example"])
    assert origin_allowed(site, "https://shop.example")
    assert not origin_allowed(site, "https://evil.example")


def test_origins_must_be_bare_origins():
    with pytest.raises(InvalidInput):
        normalize_origin("https://shop.example/path")
