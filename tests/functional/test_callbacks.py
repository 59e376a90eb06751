"""SES events through SNS on moto: the SNS signature is verified against a certificate fetched only from SNS
hosts (a test CA here, through a fake ``HttpsGetter``), subscriptions are confirmed, and Delivery, Bounce,
Complaint, Open and Click become events and counters on the message; hard bounces and complaints suppress the
address. A repeated notification changes nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from chalicelib.ports import Ports
from chalicelib.services.messaging import callbacks
from tests.fakes import FakeHttpsGetter

CERT_URL = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-test.pem"
SUBSCRIBE_URL = "https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
TEMPLATE = {
    "id": "news",
    "name": "News",
    "channel": "email",
    "content": {"from": "Shop <shop@example.com>", "subject": "News", "html": "<p>Hi</p>"},
}
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert_pem() -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_KEY.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(_KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


PEM = _cert_pem()


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch, stores: Ports) -> list[str]:
    """The URLs fetched, in order, from a fake ``HttpsGetter`` holding the certificate and the confirmation."""
    fetcher = FakeHttpsGetter({CERT_URL: PEM, SUBSCRIBE_URL: b"<ConfirmSubscriptionResponse/>"})
    monkeypatch.setattr(stores, "fetcher", fetcher)
    monkeypatch.setattr(callbacks, "_certs", {})
    return fetcher.requests


def signed(kind: str = "Notification", version: str = "2", **fields: Any) -> dict[str, Any]:
    message = {
        "Type": kind,
        "MessageId": fields.pop("MessageId", "sns-1"),
        "TopicArn": "arn:aws:sns:eu-central-1:123456789012:ses-events",
        "Message": fields.pop("Message", "{}"),
        "Timestamp": "2026-11-27T12:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        **fields,
    }
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = _KEY.sign(callbacks.string_to_sign(message), padding.PKCS1v15(), algorithm)
    message["Signature"] = base64.b64encode(signature).decode()
    return message


def ses(event_type: str, message_id: str, sns_id: str, **section: Any) -> dict[str, Any]:
    body = {
        "eventType": event_type,
        "mail": {"messageId": "ses-0001", "tags": {"orbit-message": [message_id]}, "destination": ["ann@example.com"]},
        **section,
    }
    return signed(Message=json.dumps(body), MessageId=sns_id)


def post(api: Any, message: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": str(message.get("Type"))}
    response = api.call("POST", "/v1/callbacks/ses", raw=json.dumps(message), key=None, headers=headers)
    return response.status_code, json.loads(response.body or b"{}")


def sent_message(api: Any) -> dict[str, Any]:
    assert api.call("PUT", "/v1/contacts/ann", {"email": "ann@example.com"}).status_code in (200, 201)
    assert api.json("POST", "/v1/templates", TEMPLATE)[0] == 201
    status, message = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert status == 201 and message["status"] == "sent", message
    return message


def activity(api: Any, kind: str) -> list[dict[str, Any]]:
    api.drain()
    return [e for e in api.json("GET", "/v1/contacts/ann/activity")[1]["events"] if e["type"] == kind]


def test_a_subscription_is_confirmed_by_fetching_its_sns_url(api, fetched):
    url = SUBSCRIBE_URL
    status, body = post(api, signed("SubscriptionConfirmation", version="1", Token="abc", SubscribeURL=url))
    assert (status, body) == (200, {"outcome": "confirmed"})
    assert fetched == [CERT_URL, url]
    # the certificate is cached
    post(api, signed("SubscriptionConfirmation", Token="abc", SubscribeURL=url))
    assert fetched.count(CERT_URL) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"SigningCertURL": "https://evil.example/cert.pem"},
        {"SigningCertURL": "http://sns.eu-central-1.amazonaws.com/cert.pem"},
        {"SigningCertURL": "https://sns.eu-central-1.amazonaws.com.evil.example/cert.pem"},
        {"SigningCertURL": "https://sns.eu-central-1.amazonaws.com/cert.txt"},
        {"Message": "tampered"},
        {"Signature": "bm90IGEgc2lnbmF0dXJl"},
        {"SignatureVersion": "3"},
    ],
)
def test_an_unsigned_or_tampered_message_is_refused_and_nothing_else_is_fetched(api, fetched, change):
    message = {**signed(), **change}
    status, body = post(api, message)
    assert status == 401, body
    assert all(u == CERT_URL for u in fetched)


def test_a_subscribe_url_off_sns_is_not_fetched(api, fetched):
    message = signed("SubscriptionConfirmation", Token="abc", SubscribeURL="https://evil.example/confirm")
    assert post(api, message)[0] == 401
    assert fetched == [CERT_URL]


def test_a_certificate_that_cannot_be_fetched_now_is_a_503_so_sns_retries(api, fetched):
    other = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-other.pem"
    status, body = post(api, {**signed(), "SigningCertURL": other})
    assert (status, body["error"]["code"]) == (503, "retryable")


def test_delivery_open_and_click_become_events_and_counters_once(api, fetched):
    message = sent_message(api)
    mid = message["id"]
    assert post(api, ses("Delivery", mid, "n-1", delivery={"timestamp": "2026-11-27T12:00:05.000Z"}))[1] == {
        "outcome": "recorded"
    }
    assert post(api, ses("Delivery", mid, "n-1", delivery={}))[1] == {"outcome": "duplicate"}
    post(api, ses("Open", mid, "n-2", open={"timestamp": "2026-11-27T12:01:00.000Z"}))
    post(api, ses("Open", mid, "n-3", open={"timestamp": "2026-11-27T12:02:00.000Z"}))
    post(api, ses("Open", mid, "n-3", open={"timestamp": "2026-11-27T12:02:00.000Z"}))
    post(api, ses("Click", mid, "n-4", click={"link": "https://shop.example/sale"}))
    status, shown = api.json("GET", f"/v1/messages/{mid}")
    assert shown["counters"]["opened"] == 2 and shown["counters"]["clicked"] == 1
    assert shown["counters"]["delivered"] == 1  # the sandbox counted the delivery; SES's is the same one
    assert len(activity(api, "Message Delivered")) == 1
    assert len(activity(api, "Message Opened")) == 1
    (click,) = activity(api, "Message Clicked")
    assert click["properties"]["url"] == "https://shop.example/sale" and click["properties"]["messageId"] == mid


def test_a_hard_bounce_suppresses_the_address_and_a_later_send_is_unreachable(api, fetched):
    mid = sent_message(api)["id"]
    bounce = {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [
        {"emailAddress": "Ann@Example.com"}
    ]}  # fmt: skip
    assert post(api, ses("Bounce", mid, "n-1", bounce=bounce))[1] == {"outcome": "recorded"}
    assert post(api, ses("Bounce", mid, "n-1", bounce=bounce))[1] == {"outcome": "duplicate"}
    status, shown = api.json("GET", f"/v1/messages/{mid}")
    assert shown["counters"]["bounced"] == 1
    (event,) = activity(api, "Message Bounced")
    assert event["properties"]["bounceType"] == "Permanent" and event["properties"]["channel"] == "email"
    status, consent = api.json("GET", "/v1/contacts/ann/consent")
    email = consent["channels"]["email"]
    assert (email["status"], email["reason"], email["source"], email["suppressed"]) == (
        "unsubscribed",
        "bounced",
        "ses",
        True,
    )
    status, again = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert again["status"] == "failed" and again["failure"] == "unreachable", again
    # a new address is no longer suppressed (still unsubscribed until the contact subscribes again)
    api.call("PUT", "/v1/contacts/ann", {"email": "ann@new.example"})
    status, again = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert again["failure"] == "unsubscribed"
    api.json("PUT", "/v1/contacts/ann/consent", {"channels": {"email": "subscribed"}})
    status, again = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert again["status"] == "sent"


def test_a_transient_bounce_changes_no_consent(api, fetched):
    mid = sent_message(api)["id"]
    post(api, ses("Bounce", mid, "n-1", bounce={"bounceType": "Transient", "bouncedRecipients": []}))
    assert api.json("GET", "/v1/contacts/ann/consent")[1]["channels"]["email"]["status"] == "subscribed"
    assert activity(api, "Message Bounced") == []


def test_a_complaint_suppresses_the_address(api, fetched):
    mid = sent_message(api)["id"]
    complaint = {"complainedRecipients": [{"emailAddress": "ann@example.com"}], "complaintFeedbackType": "abuse"}
    post(api, ses("Complaint", mid, "n-1", complaint=complaint))
    status, shown = api.json("GET", f"/v1/messages/{mid}")
    assert shown["counters"]["complained"] == 1
    (event,) = activity(api, "Message Complained")
    assert event["properties"]["feedbackType"] == "abuse"
    email = api.json("GET", "/v1/contacts/ann/consent")[1]["channels"]["email"]
    assert (email["status"], email["reason"]) == ("unsubscribed", "complained")
    status, again = api.json("POST", "/v1/messages/send", {"templateId": "news", "externalId": "ann"})
    assert again["failure"] == "unreachable"


def test_an_event_for_no_orbit_message_is_acknowledged_and_ignored(api, fetched):
    assert post(api, ses("Delivery", "msg_unknown", "n-1", delivery={}))[1] == {"outcome": "ignored"}
    untagged = signed(Message=json.dumps({"eventType": "Delivery", "mail": {"messageId": "x"}}))
    assert post(api, untagged)[1] == {"outcome": "ignored"}
    assert post(api, signed(Message="not json"))[1] == {"outcome": "ignored"}


def test_a_bounce_of_a_former_address_leaves_the_new_one_alone(api, fetched):
    mid = sent_message(api)["id"]
    api.call("PUT", "/v1/contacts/ann", {"email": "ann@new.example"})
    bounce = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "ann@example.com"}]}
    assert post(api, ses("Bounce", mid, "n-1", bounce=bounce))[1] == {"outcome": "recorded"}
    assert api.json("GET", "/v1/contacts/ann/consent")[1]["channels"]["email"]["status"] == "subscribed"
    assert api.json("GET", f"/v1/messages/{mid}")[1]["counters"]["bounced"] == 1
