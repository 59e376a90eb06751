"""Download a product feed by URL, safely (the HTTP adapter of the ``FeedDownloader`` port).

* http and https only, redirects included (at most ``MAX_REDIRECTS``), no proxies from the environment;
* at most ``MAX_BYTES`` (20 MB) and ``TIMEOUT`` (20 s) per socket operation and in total;
* the host is resolved with ``socket.getaddrinfo`` and refused when any address is private, loopback,
  link-local, multicast, reserved or unspecified (IPv4-mapped IPv6 included), unless the
  ``allow_private_webhooks`` setting (``ORBIT_ALLOW_PRIVATE_WEBHOOKS=true``) allows it. The connection is then
  made to the address that was checked, so a second DNS answer cannot point it elsewhere (DNS rebinding).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from chalicelib.catalog.models import Download
from chalicelib.errors import ErrorDetail, InvalidInput, PayloadTooLarge

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 20.0
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
USER_AGENT = "Orbit-feed-fetcher/1.0"


def _bad(message: str) -> InvalidInput:
    error: InvalidInput = InvalidInput(message, [ErrorDetail("url", message)])
    return error


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int, allow_private: bool) -> list[tuple[Any, ...]]:
    """getaddrinfo results for ``host``; InvalidInput when it does not resolve or (unless allowed) any
    address is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _bad(f"The feed host {host!r} does not resolve") from exc
    if not infos:
        raise _bad(f"The feed host {host!r} does not resolve")
    if not allow_private:
        for *_, sockaddr in infos:
            address = str(sockaddr[0])
            if not is_public(address):
                raise _bad(
                    f"The feed host {host!r} resolves to the non-public address {address}; private, loopback "
                    "and link-local addresses are refused unless ORBIT_ALLOW_PRIVATE_WEBHOOKS=true"
                )
    return infos


def _pinned_connect(allow_private: bool) -> Any:
    """A ``socket.create_connection`` that only connects to vetted addresses of the host."""

    def connect(address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any) -> socket.socket:
        host, port = address
        last: OSError | None = None
        for family, kind, proto, _name, sockaddr in resolve(host, port, allow_private):
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError(f"cannot connect to {host}")

    return connect


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _pinned_connect(allow_private)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _pinned_connect(allow_private)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_HTTPConnection, req, allow_private=self.allow_private)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool) -> None:
        self.ssl_context = ssl.create_default_context()
        super().__init__(context=self.ssl_context)
        self.allow_private = allow_private

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_HTTPSConnection, req, allow_private=self.allow_private, context=self.ssl_context)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise _bad(f"The feed URL redirects to {newurl!r}, which is not http or https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """Only what a feed download needs: no file:, ftp: or data: handlers and no proxies."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPDefaultErrorHandler(),
        _RedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        _HTTPHandler(allow_private),
        _HTTPSHandler(allow_private),
    ):
        opener.add_handler(handler)
    return opener


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _bad("The feed URL must be an http or https URL")
    return url.strip()


def download(
    url: str, *, allow_private: bool = False, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT
) -> Download:
    """GET ``url`` under the rules in the module docstring; InvalidInput / PayloadTooLarge otherwise."""
    url = check_url(url)
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with _opener(allow_private).open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise PayloadTooLarge(
                    f"The feed is larger than {max_bytes} bytes", [ErrorDetail("url", f"{declared} bytes")]
                )
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise _bad(f"The feed download took longer than {timeout:g} seconds")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"The feed is larger than {max_bytes} bytes", [ErrorDetail("url", "too large")]
                    )
                chunks.append(chunk)
            return Download(b"".join(chunks), response.headers.get("Content-Type"), response.geturl())
    except urllib.error.HTTPError as exc:
        raise _bad(f"The feed URL answered HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise _bad(f"The feed could not be downloaded: {exc.reason}") from exc
    except TimeoutError as exc:
        raise _bad(f"The feed download timed out after {timeout:g} seconds") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise _bad(f"The feed could not be downloaded: {exc}") from exc


class HttpFeedDownloader:
    """The ``FeedDownloader`` port over HTTP(S), with the limits above."""

    def __init__(self, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout

    def download(self, url: str, *, allow_private: bool = False) -> Download:
        return download(url, allow_private=allow_private, max_bytes=self.max_bytes, timeout=self.timeout)
