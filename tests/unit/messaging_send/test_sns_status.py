"""SNS delivery status records (SMS and platform pushes) applied to the messages the SNS senders sent."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from chalicelib.messaging.outbound import FAILED, SENT, SendResult
from chalicelib.messaging.templates import TemplateIn
from chalicelib.services import templates
from chalicelib.services.messaging import sns_status
from tests.unit.messaging_send.support import OneSender, ScriptedSender, kinds, published, sent, stored, wired

ENDPOINT = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/orbit-test-android/5d6e"


def sms_sent(provider_id: str = "sns-1"):
    ports = wired(phone="+380501234567", firstName="Ann")
    ports.senders = OneSender(ScriptedSender(SendResult("sns", provider_id)))
    message = sent(ports, "code", data={"code": "1234"}).message
    assert message.status == SENT
    return ports, message


def record(status: str = "SUCCESS", sns_id: str = "sns-1", destination: str = "+380501234567", **delivery: Any):
    return {
        "notification": {"messageId": sns_id, "timestamp": "2026-11-27 12:00:05.123"},
        "delivery": {"destination": destination, "providerResponse": "Message has been accepted by phone carrier"}
        | delivery,
        "status": status,
    }


def test_a_successful_sms_record_marks_the_message_delivered_once():
    ports, message = sms_sent()
    assert sns_status.apply(ports, [record(), record()]).as_dict() == {"delivered": 1, "failed": 0, "skipped": 1}
    assert stored(ports, message).counters == {"delivered": 1}
    (delivered,) = [e for e in published(ports) if e.type == "Message Delivered"]
    assert delivered.timestamp.isoformat().startswith("2026-11-27T12:00:05")


def test_a_failed_sms_record_fails_the_sent_message_with_the_carrier_response():
    ports, message = sms_sent()
    outcome = sns_status.apply_one(ports, record("FAILURE", providerResponse="Phone carrier has blocked this message"))
    assert outcome == "failed"
    after = stored(ports, message)
    assert (after.status, after.failure, after.reason) == (FAILED, "bounced", "Phone carrier has blocked this message")
    assert after.counters == {"bounced": 1}
    (failed,) = [e for e in published(ports) if e.type == "Message Failed"]
    assert failed.properties["failure"] == "bounced"


def test_a_push_record_names_the_message_by_the_snspush_provider():
    ports = wired(firstName="Ann", channels=[{"type": "mobilepush", "value": "tok-1"}])
    push = TemplateIn(id="push", name="push", channel="mobilepush", content={"title": "Hi", "body": "Sale"})
    templates.create(ports, push)
    ports.senders = OneSender(ScriptedSender(SendResult("snspush", "push-1")))
    message = sent(ports, "push").message
    assert sns_status.apply_one(ports, record(sns_id="push-1", destination=ENDPOINT)) == "delivered"
    assert stored(ports, message).counters == {"delivered": 1}


def test_a_record_for_another_providers_id_or_no_message_is_skipped():
    ports, message = sms_sent()
    assert sns_status.apply_one(ports, record(sns_id="unknown")) == "skipped"
    assert sns_status.apply_one(ports, record(destination=ENDPOINT)) == "skipped"  # sns-1 is an SMS, not a push
    assert sns_status.apply_one(ports, {"status": "SUCCESS"}) == "skipped"
    assert "Message Delivered" not in kinds(ports)


def test_the_lambda_edge_decodes_a_cloudwatch_logs_subscription_payload(monkeypatch):
    from chalicelib import jobs

    ports, message = sms_sent()
    monkeypatch.setattr(jobs, "ports", lambda: ports)
    data = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "sns/us-east-1/123456789012/DirectPublishToPhoneNumber",
        "logEvents": [{"id": "1", "timestamp": 0, "message": json.dumps(record())}, {"id": "2", "message": "x"}],
    }
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
    assert jobs.sns_delivery_status(event) == {"delivered": 1, "failed": 0, "skipped": 0}
    assert stored(ports, message).counters == {"delivered": 1}
