"""One HTTP request to a provider's API, under the rules the feed downloader follows (``feed_download.py``): http
and https only, no proxies from the environment, no redirects followed, and a host that resolves to a private,
loopback or link-local address refused unless ``allow_private_webhooks`` allows it (the connection goes to the
address that was checked).

Transport failures (timeouts, refused connections, TLS errors) are Retryable; a refused address is Permanent. Any
HTTP answer is returned, with its status, for the provider to classify (``classify``).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.errors import InvalidInput, Permanent, Retryable
from chalicelib.providers.feed_download import _HTTPHandler, _HTTPSHandler

TIMEOUT = 10.0
USER_AGENT = "Orbit-sender/1.0"
_MAX_ANSWER = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a provider API that redirects is answered as is (a 3xx: refused)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        _NoRedirect(),
        _HTTPHandler(allow_private),
        _HTTPSHandler(allow_private),
    ):
        opener.add_handler(handler)
    return opener


def request(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    allow_private: bool,
    provider: str,
    timeout: float | None = None,
) -> Answer:
    """Send one request; the provider's answer whatever its status. The URL and headers are never logged or put in
    an error (they may carry a token)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Permanent(f"The {provider} API address is not an http(s) URL")
    sent = urllib.request.Request(url, data=body, method=method, headers={"User-Agent": USER_AGENT, **headers})
    try:
        with _opener(allow_private).open(sent, timeout=timeout or TIMEOUT) as response:
            return Answer(response.status, response.read(_MAX_ANSWER), dict(response.headers.items()))
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.read(_MAX_ANSWER), dict(exc.headers.items()) if exc.headers else {})
    except InvalidInput as exc:  # the host resolves to a private address (or not at all)
        raise Permanent(f"{provider}: {exc.message}".replace("feed host", "API host")) from None
    except (urllib.error.URLError, TimeoutError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise Retryable(f"{provider} could not be reached: {reason}") from None


def classify(answer: Answer, provider: str, reason: str) -> None:
    """Raise for an answer that is not a success: 408, 429 and 5xx Retryable, any other refusal Permanent with the
    provider's ``reason``."""
    if 200 <= answer.status < 300:
        return
    text = f"{provider} answered HTTP {answer.status}: {reason}" if reason else f"{provider} answered {answer.status}"
    if answer.status in (408, 425, 429) or answer.status >= 500:
        raise Retryable(text)
    raise Permanent(text)
