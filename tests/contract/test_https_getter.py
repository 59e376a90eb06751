"""HttpsGetter: a document by https GET, never a redirect, never past the size cap, and a failure to read it is
Retryable. The adapter runs against a loopback TLS server with a certificate made here (trusted through the
adapter's ``context``); the refusals that need no connection are checked on both."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.errors import Permanent, Retryable
from chalicelib.ports import HttpsGetter as HttpsGetterPort
from chalicelib.providers.https_get import HttpsGetter
from tests.fakes import FakeHttpsGetter

CAP = 1024
PAGES = {"/cert.pem": b"-----BEGIN CERTIFICATE-----\n...", "/big": b"x" * (CAP + 1)}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "https://evil.example/cert.pem")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PAGES.get(self.path, b"not found")
        self.send_response(200 if self.path in PAGES else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ssl.SSLContext]]:
    """A loopback https server of ``PAGES`` and a client context that trusts its certificate."""
    cert_file, key_file = _certificate(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert_file, key_file)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", ssl.create_default_context(cafile=str(cert_file))
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["fake", "https"])
def getter(request: pytest.FixtureRequest, origin: tuple[str, ssl.SSLContext]) -> HttpsGetterPort:
    url, context = origin
    if request.param == "fake":
        return FakeHttpsGetter({url + path: body for path, body in PAGES.items()}, max_bytes=CAP)
    return HttpsGetter(timeout=5.0, max_bytes=CAP, context=context)


def test_a_document_comes_back(getter: HttpsGetterPort, origin: tuple[str, ssl.SSLContext]):
    assert getter.get(origin[0] + "/cert.pem") == PAGES["/cert.pem"]


def test_a_body_over_the_cap_is_refused(getter: HttpsGetterPort, origin: tuple[str, ssl.SSLContext]):
    with pytest.raises(Permanent, match="more than 1024 bytes"):
        getter.get(origin[0] + "/big")


@pytest.mark.parametrize("url", ["http://sns.us-east-1.amazonaws.com/cert.pem", "file:///etc/passwd", "https://"])
def test_only_https_urls_are_fetched(getter: HttpsGetterPort, url: str):
    with pytest.raises(Permanent, match="Only https"):
        getter.get(url)


def test_a_failing_server_is_retryable(getter: HttpsGetterPort, origin: tuple[str, ssl.SSLContext]):
    with pytest.raises(Retryable):
        getter.get(origin[0] + "/missing")


def test_a_redirect_is_not_followed(origin: tuple[str, ssl.SSLContext]):
    url, context = origin
    with pytest.raises(Permanent, match="redirect"):
        HttpsGetter(context=context).get(url + "/moved")


def test_an_untrusted_certificate_is_retryable(origin: tuple[str, ssl.SSLContext]):
    with pytest.raises(Retryable, match="could not be read"):
        HttpsGetter().get(origin[0] + "/cert.pem")  # the system's trust store does not know the test certificate


def test_a_closed_port_is_retryable():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on it now
    with pytest.raises(Retryable):
        HttpsGetter(timeout=2.0).get(f"https://127.0.0.1:{port}/cert.pem")
