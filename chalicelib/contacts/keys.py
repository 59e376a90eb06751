"""Contact keys: one namespace per identifier kind, so provisional profiles can later merge."""

from __future__ import annotations

KNOWN = "x#"
ANONYMOUS = "a#"
EMAIL = "e#"
PHONE = "p#"


def known(external_id: str) -> str:
    return KNOWN + external_id


def anonymous(anonymous_id: str) -> str:
    return ANONYMOUS + anonymous_id


def email(address: str) -> str:
    return EMAIL + address.lower()


def phone(number: str) -> str:
    return PHONE + number


def is_known(key: str) -> bool:
    return key.startswith(KNOWN)


def external_id(key: str) -> str | None:
    return key[len(KNOWN) :] if is_known(key) else None
