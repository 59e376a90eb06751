"""FeedDownloader: a feed by URL under the network rules. The HTTP adapter runs against a loopback server
(so private hosts must be allowed to reach it); the refusals need no connection at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.ports import FeedDownloader
from chalicelib.providers.feed_download import HttpFeedDownloader
from tests.fakes import FakeDownloader

FEEDS = {
    "/feed.xml": (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "application/rss+xml"),
    "/products.csv": (b"id,title,price\nsku-1,Shoe,19.99 USD\n", "text/csv; charset=utf-8"),
}


class _Feeds(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, content_type = FEEDS.get(self.path, (b"not found", "text/plain"))
        self.send_response(200 if self.path in FEEDS else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A loopback HTTP server of ``FEEDS``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["fake", "http"])
def downloader(request: pytest.FixtureRequest, origin: str) -> FeedDownloader:
    if request.param == "fake":
        return FakeDownloader({origin + path: feed for path, feed in FEEDS.items()})
    return HttpFeedDownloader()


@pytest.mark.parametrize("path", sorted(FEEDS))
def test_a_feed_comes_back_with_its_type_and_url(downloader: FeedDownloader, origin: str, path: str) -> None:
    got = downloader.download(origin + path, allow_private=True)

    assert (got.body, got.content_type, got.url) == (*FEEDS[path], origin + path)


def test_a_url_that_does_not_answer_with_a_feed_is_invalid_input(downloader: FeedDownloader, origin: str) -> None:
    with pytest.raises(InvalidInput):
        downloader.download(origin + "/missing.xml", allow_private=True)


def test_a_loopback_host_is_refused_unless_allowed(downloader: FeedDownloader, origin: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        downloader.download(origin + "/feed.xml")

    assert refused.value.details[0].path == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/feed.xml",
        "http://192.168.0.10/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
        "http://[::ffff:127.0.0.1]/feed.xml",
        "http://localhost/feed.xml",
        "http://0.0.0.0/feed.xml",
    ],
)
def test_private_loopback_and_link_local_hosts_are_refused(downloader: FeedDownloader, url: str) -> None:
    with pytest.raises(InvalidInput):
        downloader.download(url)


@pytest.mark.parametrize("url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "example.com/feed.xml", ""])
def test_only_http_and_https_urls_are_fetched(downloader: FeedDownloader, url: str) -> None:
    with pytest.raises(InvalidInput):
        downloader.download(url, allow_private=True)
