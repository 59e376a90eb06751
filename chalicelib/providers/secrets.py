"""Provider credentials, read from SSM Parameter Store or Secrets Manager by the name a setting gives, never from
code or the environment itself.

A credential setting holds a reference, not the secret:

* ``ssm:/orbit-prod/twilio/auth-token``: an SSM parameter (a SecureString is decrypted);
* ``secretsmanager:orbit-prod/telegram``: a Secrets Manager secret's string;
  ``secretsmanager:orbit-prod/providers#viber`` picks the ``viber`` key of a secret holding a JSON object.

Values are cached per process (a Lambda reads each once per cold start). A missing parameter, a malformed
reference or an access refusal is Permanent (the stage is misconfigured); throttling is Retryable. Secret values
never appear in errors or logs, only the reference.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.errors import Permanent, Retryable

Clients = Callable[[str], Any]  # a boto3 client by service name (``aws.client``)

SSM = "ssm:"
SECRETS_MANAGER = "secretsmanager:"
_RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyUpdates",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
}

_cache: dict[str, str] = {}
_lock = threading.Lock()


def forget() -> None:
    """Drop every cached value (tests; a rotated secret is read by the next cold start)."""
    with _lock:
        _cache.clear()


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _read(clients: Clients, reference: str) -> str:
    try:
        if reference.startswith(SSM):
            answer = clients("ssm").get_parameter(Name=reference[len(SSM) :], WithDecryption=True)
            return str(answer["Parameter"]["Value"])
        name, _, key = reference[len(SECRETS_MANAGER) :].partition("#")
        value = clients("secretsmanager").get_secret_value(SecretId=name).get("SecretString")
    except Exception as exc:
        code = _code(exc)
        if not code or code in _RETRYABLE_CODES:
            raise Retryable(f"The credential {reference} could not be read ({code or type(exc).__name__})") from None
        raise Permanent(f"The credential {reference} could not be read ({code})") from None
    if not isinstance(value, str):
        raise Permanent(f"The credential {reference} is not a string secret")
    if not key:
        return value
    try:
        picked = json.loads(value)[key]
    except (ValueError, KeyError, TypeError):
        raise Permanent(f"The credential {reference} has no {key!r} key") from None
    return str(picked)


def credential(clients: Clients, reference: str, setting: str) -> str:
    """The secret ``reference`` names (cached per process). Permanent when the setting is empty or not a
    reference (``setting`` is the variable to name in the reason)."""
    reference = reference.strip()
    if not reference:
        raise Permanent(f"Set {setting} to the ssm: or secretsmanager: name of the credential")
    if not reference.startswith((SSM, SECRETS_MANAGER)) or reference in (SSM, SECRETS_MANAGER):
        raise Permanent(f"{setting} must name the credential (ssm:NAME or secretsmanager:NAME), not hold it")
    with _lock:
        cached = _cache.get(reference)
    if cached is not None:
        return cached
    value = _read(clients, reference)
    with _lock:
        _cache[reference] = value
    return value
