"""The app's HTTP middleware: every error leaves in Orbit's one JSON shape.

``{"error": {"code", "message", "details": [{"path", "message"}]}}``, whoever produced it: an
``OrbitError`` a route raised, an unexpected exception, or Chalice itself (a 405 for a method the
path does not serve, a 500 for an exception it caught, any ``ChaliceViewError``), whose
``{"Code": "MethodNotAllowedError", "Message"}`` bodies get Orbit's snake_case codes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from chalice.app import Response

from chalicelib.api.http import error_response
from chalicelib.errors import OrbitError

log = logging.getLogger("orbit.http")

# Chalice's error names (its ChaliceViewError subclasses and the codes it answers with itself) to
# Orbit's codes; the ones Orbit also raises keep Orbit's name (chalicelib/errors.py).
CHALICE_CODES = {
    "BadRequestError": "invalid_input",
    "BadRequest": "invalid_input",
    "UnauthorizedError": "unauthorized",
    "ForbiddenError": "forbidden",
    "NotFoundError": "not_found",
    "MethodNotAllowedError": "method_not_allowed",
    "RequestTimeoutError": "request_timeout",
    "ConflictError": "conflict",
    "UnprocessableEntityError": "permanent",
    "TooManyRequestsError": "too_many_requests",
    "UnsupportedMediaType": "unsupported_media_type",
    "ChaliceViewError": "internal_error",
    "InternalServerError": "internal_error",
}
# Orbit's codes by status, for an error response that carries no code at all.
STATUS_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "permanent",
    500: "internal_error",
    503: "retryable",
}


def error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Every error leaves in one JSON shape, including Chalice's own and unexpected ones."""
    try:
        response = get_response(event)
    except OrbitError as exc:
        return error_response(exc)
    except Exception:
        log.exception("unhandled error")
        return error_response(OrbitError("Something went wrong on our side"))
    if response.status_code < 400 or _is_orbit_error(response.body):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    return Response(body=_reshape(response), status_code=response.status_code, headers=headers)


def _orbit_code(chalice_code: str) -> str:
    """Orbit's code for one of Chalice's: the table above, else snake_case without an ``Error`` suffix."""
    if chalice_code in CHALICE_CODES:
        return CHALICE_CODES[chalice_code]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", chalice_code.removesuffix("Error")).lower()
    return re.sub(r"[^a-z0-9]+", "_", words).strip("_") or "error"


def _code_for_status(status: int) -> str:
    """Orbit's code for an error status that came without one."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        return HTTPStatus(status).name.lower()
    except ValueError:
        return "internal_error" if status >= 500 else "invalid_input"


def _reshape(response: Response) -> dict[str, Any]:
    body = response.body
    if isinstance(body, dict) and "Code" in body and "Message" in body:
        code, message = _orbit_code(str(body["Code"])), str(body["Message"])
    else:
        # no code to go by (a debug traceback, a bare text body): the status decides
        code = _code_for_status(response.status_code)
        try:
            message = HTTPStatus(response.status_code).phrase
        except ValueError:
            message = "Error"
    return {"error": {"code": code, "message": message, "details": []}}


def _is_orbit_error(body: Any) -> bool:
    if isinstance(body, str | bytes) and body[:1] in ("{", b"{"):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            return False
    return isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)
