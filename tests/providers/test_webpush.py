import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from py_vapid import Vapid02

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.webpush import WebPushSender
from chalicelib.settings import Settings


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


BROWSER_KEY = ec.generate_private_key(ec.SECP256R1())  # the subscription's key pair, as the browser holds it
AUTH = os.urandom(16)
P256DH = BROWSER_KEY.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)
VAPID = Vapid02()
VAPID.generate_keys()
VAPID_PEM = VAPID.private_pem().decode()


@pytest.fixture
def sender(clients):
    clients("ssm").put_parameter(Name="/orbit-test/vapid", Value=VAPID_PEM, Type="SecureString")
    settings = Settings(
        vapid_private_key="ssm:/orbit-test/vapid", vapid_subject="mailto:ops@shop.example", allow_private_webhooks=True
    )
    return WebPushSender(settings, clients)


def push(endpoint, content=None):
    subscription = {"endpoint": endpoint, "keys": {"p256dh": b64(P256DH), "auth": b64(AUTH)}}
    to = {"type": "webpush", "value": endpoint, "subscription": subscription}
    content = content or {"title": "Back in stock", "body": "Your sneakers", "url": "https://shop.example/p/1"}
    return Outgoing("msg_1", "webpush", "x#ann", "w", to, content)


def test_the_payload_decrypts_with_the_subscription_keys_and_the_vapid_token_verifies(sender, loopback):
    loopback.answer(201, b"")
    endpoint = f"{loopback.url}/push/abc123"
    result = sender.send(push(endpoint))
    assert result.provider == "webpush"
    (seen,) = loopback.seen
    assert seen.path == "/push/abc123"
    assert seen.headers["content-encoding"] == "aes128gcm" and int(seen.headers["ttl"]) > 0
    plain = http_ece.decrypt(seen.body, private_key=BROWSER_KEY, auth_secret=AUTH, version="aes128gcm")
    assert json.loads(plain) == {
        "title": "Back in stock",
        "body": "Your sneakers",
        "url": "https://shop.example/p/1",
        "messageId": "msg_1",
    }
    scheme, params = seen.headers["authorization"].split(" ", 1)
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and unb64(fields["k"]) == VAPID.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    header, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    VAPID.public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64(claims))
    assert claims["aud"] == loopback.url and claims["sub"] == "mailto:ops@shop.example"


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_permanent(sender, loopback, status):
    loopback.answer(status, b"push subscription has unsubscribed or expired.")
    with pytest.raises(Permanent, match=f"HTTP {status}: push subscription has unsubscribed"):
        sender.send(push(f"{loopback.url}/push/gone"))


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_outages_are_retryable(sender, loopback, status):
    loopback.answer(status, b"")
    with pytest.raises(Retryable):
        sender.send(push(f"{loopback.url}/push/x"))


def test_a_private_endpoint_is_refused_unless_allowed(clients, loopback):
    clients("ssm").put_parameter(Name="/orbit-test/vapid", Value=VAPID_PEM, Type="SecureString")
    settings = Settings(vapid_private_key="ssm:/orbit-test/vapid", vapid_subject="mailto:ops@shop.example")
    with pytest.raises(Permanent, match="non-public address"):
        WebPushSender(settings, clients).send(push(f"{loopback.url}/push/x"))
    assert not loopback.seen


def test_a_recipient_without_a_subscription_is_refused(sender):
    with pytest.raises(Permanent, match="no web push subscription"):
        sender.send(Outgoing("msg_1", "webpush", "x#ann", "w", {"type": "webpush", "value": "x"}, {"title": "t"}))
