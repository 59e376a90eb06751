"""Consent rules without AWS: suppression by a bounce or complaint, subscription categories, and the SNS checks
(host rule, canonical string, RSA PKCS#1 v1.5 verification in plain Python against ``cryptography``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from chalicelib.messaging import consent
from chalicelib.services.messaging import callbacks

AT = "2026-11-27T12:00:00.000Z"


def test_a_bounce_suppresses_the_address_it_names_only():
    profile = {"email": "ann@example.com"}
    profile["consent"] = consent.with_status(
        profile, "email", "unsubscribed", AT, "ses", reason="bounced", suppressed="ann@example.com"
    )
    decision = consent.check(profile, [], "email", transactional=True)
    assert (decision.allowed, decision.failure) == (False, "unreachable")
    moved = {**profile, "email": "ann@new.example"}
    assert consent.check(moved, [], "email", transactional=True).failure == "unsubscribed"
    assert consent.check({**profile, "email": "ANN@example.com"}, [], "email", True).failure == "unreachable"


def test_a_plain_unsubscribe_is_not_a_suppression():
    profile = {"email": "ann@example.com"}
    profile["consent"] = consent.with_status(profile, "email", "unsubscribed", AT, "link")
    assert not consent.suppressed(profile, [], "email")
    assert consent.check(profile, [], "email", False).failure == "unsubscribed"
    assert consent.entry(profile, "email") == {"status": "unsubscribed", "at": AT, "source": "link"}


def test_categories_keep_what_they_held():
    profile: dict[str, object] = {}
    profile["consent"] = consent.with_categories(profile, {"news": "subscribed"}, AT, "api")
    later = consent.with_categories(profile, {"news": "subscribed", "offers": "unsubscribed"}, "later", "crm")
    assert later["categories"]["news"] == {"status": "subscribed", "at": AT, "source": "api"}
    assert later["categories"]["offers"]["source"] == "crm"
    with pytest.raises(ValueError):
        consent.with_categories(profile, {"news": "maybe"}, AT, "api")
    # categories are not a channel: no channel reads them
    assert consent.status({"consent": later}, "email") == "subscribed"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sns.us-east-1.amazonaws.com/x.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/x.pem", True),
        ("http://sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://s3.amazonaws.com/x.pem", False),
        (None, False),
    ],
)
def test_only_sns_hosts_are_fetched(url, ok):
    assert callbacks.sns_url(url) is ok


@pytest.mark.parametrize(("digest", "algorithm"), [("sha1", hashes.SHA1()), ("sha256", hashes.SHA256())])  # noqa: S303
def test_plain_rsa_verification_agrees_with_cryptography(digest, algorithm):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    parsed = callbacks.rsa_key(cert.public_bytes(serialization.Encoding.PEM))
    assert parsed == (key.public_key().public_numbers().n, 65537)
    signature = key.sign(b"data", padding.PKCS1v15(), algorithm)
    assert callbacks.rsa_verifies(parsed, signature, b"data", digest)
    assert not callbacks.rsa_verifies(parsed, signature, b"other", digest)
    assert not callbacks.rsa_verifies(parsed, signature[:-1], b"data", digest)
    with pytest.raises(ValueError):
        callbacks.rsa_key(b"not a certificate")


def test_the_string_to_sign_follows_sns_order_and_skips_missing_keys():
    message = {"Type": "Notification", "MessageId": "m", "Message": "{}", "Timestamp": "t", "TopicArn": "a"}
    assert (
        callbacks.string_to_sign(message)
        == b"Message\n{}\nMessageId\nm\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
    )
