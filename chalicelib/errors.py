"""The error tree every layer raises; the HTTP layer maps it to one JSON shape.

``{"error": {"code", "message", "details": [{"path", "message"}]}}``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class OrbitError(Exception):
    """Base of every error Orbit raises on purpose; subclasses set ``status`` and ``code``."""

    status = 500
    code = "internal_error"

    def __init__(
        self, message: str, details: list[ErrorDetail] | None = None, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def as_body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [d.as_dict() for d in self.details],
            }
        }


class InvalidInput(OrbitError):
    status, code = 400, "invalid_input"


class Unauthorized(OrbitError):
    status, code = 401, "unauthorized"


class Forbidden(OrbitError):
    status, code = 403, "forbidden"


class NotFound(OrbitError):
    status, code = 404, "not_found"


class Conflict(OrbitError):
    status, code = 409, "conflict"


class PayloadTooLarge(OrbitError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(OrbitError):
    status, code = 415, "unsupported_media_type"


class Retryable(OrbitError):
    """A transient failure (throttling, timeouts): the caller should retry."""

    status, code = 503, "retryable"


class Permanent(OrbitError):
    """Input that will never succeed (poison records)."""

    status, code = 422, "permanent"


def bad_cursor() -> InvalidInput:
    """The error of a listing's ``cursor`` that the listing did not hand out."""
    return InvalidInput("cursor is not valid", [ErrorDetail("cursor", "is not a cursor of this listing")])
