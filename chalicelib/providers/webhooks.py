"""Workflow webhooks over HTTP(S), under the provider request rules (``http_post.py``): no proxies from the
environment, no redirects, and private, loopback and link-local addresses refused unless the stage sets
``ORBIT_ALLOW_PRIVATE_WEBHOOKS`` (the connection goes to the address that was checked)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib.errors import Permanent, Retryable
from chalicelib.providers import http_post

TIMEOUT = 10.0


class HttpWebhooks:
    def __init__(self, allow_private: bool, allow_http: bool = False) -> None:
        self.allow_private = allow_private
        self.allow_http = allow_http  # plain http only where private addresses are allowed (local runs, tests)

    def call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        scheme = urlsplit(url).scheme
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            raise Permanent("A webhook URL must be https")
        answer = http_post.request(
            method, url, body, headers, allow_private=self.allow_private, provider="webhook", timeout=TIMEOUT
        )
        if answer.status in (408, 425, 429) or answer.status >= 500:
            raise Retryable(f"the webhook answered HTTP {answer.status}")
        return answer.status, answer.json()
