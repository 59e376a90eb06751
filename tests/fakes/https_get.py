"""In-memory ``HttpsGetter``: answers from a dict under the adapter's rules (https only, a size cap); a URL it
has no answer for is Retryable, as a failed connection is. Every URL asked for is kept in ``requests``."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from chalicelib.errors import Permanent, Retryable
from chalicelib.providers.https_get import MAX_BYTES


class FakeHttpsGetter:
    """``pages[url]`` is the body answered for ``url``."""

    def __init__(self, pages: Mapping[str, bytes] | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.pages: dict[str, bytes] = dict(pages or {})
        self.max_bytes = max_bytes
        self.requests: list[str] = []

    def get(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise Permanent(f"Only https URLs are fetched, not {url[:200]!r}")
        self.requests.append(url)
        body = self.pages.get(url)
        if body is None:
            raise Retryable(f"{parts.hostname} could not be read")
        if len(body) > self.max_bytes:
            raise Permanent(f"{parts.hostname} answered more than {self.max_bytes} bytes")
        return body
