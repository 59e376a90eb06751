"""Identify traits (Segment or eSputnik names) onto contact profile attributes."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.contacts.models import ContactIn

_ALIASES = {
    "email": "email",
    "user_email": "email",
    "phone": "phone",
    "user_phone": "phone",
    "firstName": "firstName",
    "first_name": "firstName",
    "lastName": "lastName",
    "last_name": "lastName",
    "languageCode": "languageCode",
    "language": "languageCode",
    "locale": "languageCode",
    "timeZone": "timeZone",
    "timezone": "timeZone",
}


def profile_patch(traits: dict[str, Any]) -> dict[str, Any]:
    """Known traits as a validated partial contact; traits that fail validation are skipped."""
    patch: dict[str, Any] = {}
    for name, value in traits.items():
        attr = _ALIASES.get(name)
        if attr and value not in (None, ""):
            patch[attr] = value
    full_name = traits.get("name") or traits.get("user_name")
    if isinstance(full_name, str) and "firstName" not in patch:
        first, _, last = full_name.strip().partition(" ")
        patch["firstName"] = first
        if last:
            patch.setdefault("lastName", last)
    address = traits.get("address")
    if isinstance(address, dict):
        patch["address"] = {
            "country": address.get("country"),
            "region": address.get("state") or address.get("region"),
            "town": address.get("city") or address.get("town"),
            "street": address.get("street"),
            "postcode": address.get("postalCode") or address.get("postcode"),
        }
    if isinstance(patch.get("languageCode"), str):
        patch["languageCode"] = patch["languageCode"].replace("_", "-")
    valid: dict[str, Any] = {}
    for attr, value in patch.items():
        try:
            checked = ContactIn.model_validate({attr: value})
        except ValidationError:
            continue
        valid[attr] = checked.model_dump(mode="json", exclude_unset=True)[attr]
    return valid


def without(traits: dict[str, Any], attrs: set[str]) -> dict[str, Any]:
    """``traits`` less every trait name that maps onto one of the profile attributes ``attrs``."""
    if not attrs:
        return traits
    return {name: value for name, value in traits.items() if _ALIASES.get(name) not in attrs}
