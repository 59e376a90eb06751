"""``ORBIT_SITE_ORIGINS``: parsing and validation of the local site key's extra origins."""

from __future__ import annotations

import pytest

from chalicelib.auth.keys import ApiKey, origin_allowed
from chalicelib.local.origins import describe, local_site_origins, site_origins


def test_unset_or_blank_adds_nothing() -> None:
    assert site_origins(None) == []
    assert site_origins("") == []
    assert site_origins(" , ,") == []


def test_origins_are_split_trimmed_normalized_and_deduplicated() -> None:
    raw = " http://localhost:3000 ,https://Dev.Shop.Example/,http://127.0.0.1:5173,http://localhost:3000/"
    assert site_origins(raw) == ["http://localhost:3000", "https://dev.shop.example", "http://127.0.0.1:5173"]


def test_a_star_allows_any_origin() -> None:
    assert site_origins("*") == ["*"]
    assert site_origins("http://localhost:3000, *") == ["http://localhost:3000", "*"]


@pytest.mark.parametrize(
    "bad",
    ["localhost:3000", "ftp://files.example", "https://shop.example/path", "http://", "shop.example", "*.example"],
)
def test_a_bad_entry_is_an_error_naming_the_variable_and_the_entry(bad: str) -> None:
    with pytest.raises(ValueError, match="ORBIT_SITE_ORIGINS") as raised:
        site_origins(f"http://localhost:3000,{bad}")
    assert repr(bad) in str(raised.value)


def test_the_local_key_allows_the_runtimes_own_origins_then_the_extra_ones() -> None:
    origins = local_site_origins(8000, site_origins("http://localhost:3000,http://localhost:8000"))
    assert origins == ["http://127.0.0.1:8000", "http://localhost:8000", "http://localhost:3000"]
    key = ApiKey(keyHash="h", kind="site", name="local", prefix="opk_", origins=origins, createdAt="2026-01-01")
    assert origin_allowed(key, "http://localhost:3000")
    assert not origin_allowed(key, "http://localhost:3001")


def test_star_lets_every_origin_through() -> None:
    origins = local_site_origins(8000, site_origins("*"))
    key = ApiKey(keyHash="h", kind="site", name="local", prefix="opk_", origins=origins, createdAt="2026-01-01")
    assert origin_allowed(key, "https://anything.example")


def test_the_banner_names_the_origins() -> None:
    assert (
        describe(["http://127.0.0.1:8000", "http://localhost:3000"]) == "http://127.0.0.1:8000, http://localhost:3000"
    )
    assert describe(["http://127.0.0.1:8000", "*"]) == "any origin (*)"
