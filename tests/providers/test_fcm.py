import base64
import json
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.fcm import SCOPE, FcmSender
from chalicelib.settings import Settings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()


def _unb64(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture
def sender(clients, loopback):
    account = {
        "type": "service_account",
        "client_email": "orbit@shop-app.iam.gserviceaccount.com",
        "private_key_id": "k1",
        "private_key": PEM,
        "token_uri": f"{loopback.url}/token",
    }
    clients("secretsmanager").create_secret(Name="orbit-test/fcm", SecretString=json.dumps(account))
    settings = Settings(
        fcm_project="shop-app",
        fcm_service_account="secretsmanager:orbit-test/fcm",
        fcm_base_url=loopback.url,
        allow_private_webhooks=True,
    )
    return FcmSender(settings, clients)


def push(content=None):
    return Outgoing(
        "msg_1",
        "mobilepush",
        "x#ann",
        "p",
        {"type": "mobilepush", "value": "device-token-1", "appId": "shop"},
        content
        or {
            "title": "Sale",
            "body": "50% off",
            "image": "https://s.example/i.png",
            "deepLink": "shop://sale",
            "data": {"campaign": "bf"},
        },
    )


def test_a_service_account_token_then_the_v1_send(sender, loopback):
    loopback.answers[:] = [
        (200, {"access_token": "ya29.token", "expires_in": 3599, "token_type": "Bearer"}),
        (200, {"name": "projects/shop-app/messages/0:1500415314455276%31bd1c9631bd1c96"}),
    ]
    result = sender.send(push())
    assert result.provider_id == "projects/shop-app/messages/0:1500415314455276%31bd1c9631bd1c96"
    token_request, send_request = loopback.seen
    form = parse_qs(token_request.body.decode())
    assert token_request.path == "/token" and form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    header, claims, signature = form["assertion"][0].split(".")
    KEY.public_key().verify(_unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(_unb64(claims))
    assert claims["iss"] == "orbit@shop-app.iam.gserviceaccount.com" and claims["scope"] == SCOPE
    assert claims["aud"] == f"{loopback.url}/token" and claims["exp"] - claims["iat"] == 3600
    assert send_request.path == "/v1/projects/shop-app/messages:send"
    assert send_request.headers["authorization"] == "Bearer ya29.token"
    assert send_request.json() == {
        "message": {
            "token": "device-token-1",
            "notification": {"title": "Sale", "body": "50% off", "image": "https://s.example/i.png"},
            "data": {"campaign": "bf", "deepLink": "shop://sale", "orbitMessageId": "msg_1"},
        }
    }
    loopback.answers[:] = [(200, {"name": "projects/shop-app/messages/2"})]
    sender.send(push())
    assert len(loopback.seen) == 3  # the token was kept


def fcm_error(status, code, http):
    return (
        http,
        {
            "error": {
                "code": http,
                "message": "m",
                "status": status,
                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}],
            }
        },
    )


def test_an_unregistered_token_is_permanent_with_fcm_s_code(sender, loopback):
    loopback.answers[:] = [
        (200, {"access_token": "t", "expires_in": 3600}),
        fcm_error("NOT_FOUND", "UNREGISTERED", 404),
    ]
    with pytest.raises(Permanent, match="UNREGISTERED"):
        sender.send(push())


@pytest.mark.parametrize(
    ("status", "code", "http"), [("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", 429), ("UNAVAILABLE", "UNAVAILABLE", 503)]
)
def test_quota_and_unavailability_are_retryable(sender, loopback, status, code, http):
    loopback.answers[:] = [(200, {"access_token": "t", "expires_in": 3600}), fcm_error(status, code, http)]
    with pytest.raises(Retryable):
        sender.send(push())


def test_a_refused_token_is_retryable_and_a_new_one_is_minted(sender, loopback):
    loopback.answers[:] = [
        (200, {"access_token": "old", "expires_in": 3600}),
        (401, {"error": {"code": 401}}),
        (200, {"access_token": "new", "expires_in": 3600}),
        (200, {"name": "n"}),
    ]
    with pytest.raises(Retryable):
        sender.send(push())
    assert sender.send(push()).provider_id == "n"
    assert loopback.seen[-1].headers["authorization"] == "Bearer new"


def test_a_refused_service_account_is_permanent(sender, loopback):
    loopback.answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    with pytest.raises(Permanent, match="Invalid JWT Signature"):
        sender.send(push())
