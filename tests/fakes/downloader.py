"""In-memory ``FeedDownloader``: serves feeds from a dict under the HTTP adapter's URL rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from chalicelib.catalog.models import Download
from chalicelib.errors import ErrorDetail, InvalidInput, PayloadTooLarge
from chalicelib.ports import FeedDownloader
from chalicelib.providers.feed_download import MAX_BYTES, check_url, is_public


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, [ErrorDetail("url", message)])


def _public_host(host: str) -> bool:
    """IP literals by the adapter's own rule; ``localhost`` names are loopback; other names are taken to
    be public (there is no DNS here: a test that wants a private name uses its address)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return not (host == "localhost" or host.endswith(".localhost"))
    return is_public(host)


class FakeDownloader:
    """``feeds[url] = (body, content type)``. Refuses what the HTTP adapter refuses without a socket: a
    non-http(s) URL, a private/loopback/link-local host unless ``allow_private``, a feed over
    ``max_bytes``; an unknown URL is a failing download (InvalidInput, as a 404 is). Every URL asked for is
    appended to ``requests``."""

    def __init__(
        self, feeds: Mapping[str, tuple[bytes | str, str | None]] | None = None, max_bytes: int = MAX_BYTES
    ) -> None:
        self.feeds: dict[str, tuple[bytes | str, str | None]] = dict(feeds or {})
        self.max_bytes = max_bytes
        self.requests: list[str] = []

    def download(self, url: str, *, allow_private: bool = False) -> Download:
        self.requests.append(url)
        url = check_url(url)
        host = urlsplit(url).hostname or ""
        if not allow_private and not _public_host(host):
            raise _bad(
                f"The feed host {host!r} is not public; private, loopback and link-local addresses are refused "
                "unless ORBIT_ALLOW_PRIVATE_WEBHOOKS=true"
            )
        if url not in self.feeds:
            raise _bad("The feed URL answered HTTP 404")
        body, content_type = self.feeds[url]
        data = body.encode() if isinstance(body, str) else body
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"The feed is larger than {self.max_bytes} bytes", [ErrorDetail("url", f"{len(data)} bytes")]
            )
        return Download(data, content_type, url)


_: FeedDownloader = FakeDownloader()
