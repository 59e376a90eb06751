"""Shared field validators and the conversion of pydantic errors into Orbit's error details."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BaseModel, ValidationError

from chalicelib.errors import ErrorDetail, InvalidInput

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EVENT_TYPE_FORBIDDEN = set("<;’\\/|\"`'^?!,>")
_TIMEZONES = available_timezones()
M = TypeVar("M", bound=BaseModel)

OLDEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
"""No accepted time is older: earlier values are clock resets (1970), typos or corrupt data, never history a
CDP holds, and a year below 1000 does not even sort as ISO text."""
TOO_OLD = f"must be {OLDEST_TIMESTAMP:%Y-%m-%d} (UTC) or later"


def normalize_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.com")
    return value.lower()


def normalize_phone(value: str) -> str:
    compact = re.sub(r"[\s().-]", "", value)
    if not _E164.match(compact):
        raise ValueError("must be an E.164 phone number like +380501234567")
    return compact


def _timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError("must be an IANA time zone like Europe/Kyiv")
    ZoneInfo(value)
    return value


def to_utc(value: datetime) -> datetime:
    """The one time normalisation: an aware datetime becomes the same instant in UTC, a naive one is taken as
    UTC. ValueError (a field error in a model) when the instant has no UTC form (year 1 or 9999 at the edge)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


def check_oldest(value: datetime) -> datetime:
    """``value`` (aware) unless it is older than ``OLDEST_TIMESTAMP``."""
    if value < OLDEST_TIMESTAMP:
        raise ValueError(TOO_OLD)
    return value


def _timestamp(value: datetime) -> datetime:
    return check_oldest(to_utc(value))


def _language(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError("must be a language code like en or en-US")
    return value


def _event_type(value: str) -> str:
    bad = sorted(set(value) & _EVENT_TYPE_FORBIDDEN)
    if bad:
        raise ValueError(f"must not contain {''.join(bad)}")
    return value


Email = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str, AfterValidator(normalize_phone)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
LanguageCode = Annotated[str, AfterValidator(_language)]
EventTypeName = Annotated[str, AfterValidator(_event_type)]
UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]
"""A time as Orbit holds it: aware, in UTC (naive input is UTC). For times Orbit made or already accepted."""
Timestamp = Annotated[datetime, AfterValidator(_timestamp)]
"""A time a client sends: ``UtcDatetime``, no older than ``OLDEST_TIMESTAMP``."""


def error_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """``("events", 0, "type")`` -> ``events[0].type``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "$"


def details_from(exc: ValidationError, prefix: str = "") -> list[ErrorDetail]:
    details = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known field"
        details.append(ErrorDetail(error_path(loc, prefix), message))
    return details


def parse(model: type[M], data: Any, what: str = "request body") -> M:
    """Validate ``data`` into ``model`` or raise InvalidInput naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"The {what} is invalid", details_from(exc)) from exc


def clean_tags(tags: list[str]) -> list[str]:
    """Tags as stored: trimmed, each 1-50 characters (ValueError otherwise), the first of repeats kept."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not 0 < len(tag) <= 50:
            raise ValueError("each tag must be 1-50 characters")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned
