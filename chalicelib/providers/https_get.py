"""Small documents by https GET, safely (the adapter of the ``HttpsGetter`` port): what SNS callbacks fetch, the
signing certificate and the subscription confirmation URL.

* https only, certificates verified, no proxies from the environment;
* redirects are refused, never followed: the caller checked the URL's host, and a redirect would leave it;
* at most ``MAX_BYTES`` read and ``TIMEOUT`` seconds per socket operation.

urllib, ssl and http.client are imported on the first fetch: no cold start pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.errors import Permanent, Retryable

if TYPE_CHECKING:
    import ssl

MAX_BYTES = 64 * 1024  # an SNS certificate is about 2 KB, a confirmation answer under 1 KB
TIMEOUT = 5.0
USER_AGENT = "Orbit-callbacks/1.0"


class HttpsGetter:
    """``HttpsGetter`` over urllib; ``context`` (default: the system's trust store) verifies the server."""

    def __init__(
        self, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES, context: ssl.SSLContext | None = None
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.context = context

    def get(self, url: str) -> bytes:
        import urllib.error
        import urllib.request

        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise Permanent(f"Only https URLs are fetched, not {url[:200]!r}")

        class NoRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None  # the 3xx is raised as an HTTPError

        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self.context), NoRedirects()
        )
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 (https only)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body: bytes = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                raise Permanent(f"{parts.hostname} answered a redirect ({exc.code}), which is not followed") from exc
            raise Retryable(f"{parts.hostname} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:  # timeouts, refused connections, TLS failures
            raise Retryable(f"{parts.hostname} could not be read: {exc}") from exc
        if len(body) > self.max_bytes:
            raise Permanent(f"{parts.hostname} answered more than {self.max_bytes} bytes")
        return body
