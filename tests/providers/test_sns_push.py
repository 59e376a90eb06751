import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.clock import FixedClock
from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.senders import ChannelSenders
from chalicelib.providers.sns_push import SnsPushSender, payload, platform_of
from chalicelib.settings import Settings
from tests.conftest import NOW
from tests.fakes import FakeMessageStore

FCM_TOKEN = "fcm-token:APA91b-device-1"
APNS_TOKEN = "a" * 64


def push(token=FCM_TOKEN, **content):
    body = {"title": "Sale", "body": "Shoes -20%", "deepLink": "shop://sale", "data": {"sku": 42}} | content
    return Outgoing("msg_1", "mobilepush", "x#ann", "sale", {"type": "mobilepush", "value": token}, body)


def application(clients, platform="GCM", name="orbit-test-android"):
    answer = clients("sns").create_platform_application(Name=name, Platform=platform, Attributes={})
    return answer["PlatformApplicationArn"]


def backend():
    return sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def sent_to(token):
    (endpoint,) = [e for e in backend().platform_endpoints.values() if e.token == token]
    return endpoint


@pytest.fixture
def sender(clients):
    return SnsPushSender(Settings(sns_platform_application_arn=application(clients)), clients)


def test_a_push_is_published_to_the_token_endpoint_and_answers_its_message_id(sender):
    result = sender.send(push())
    assert result.provider == "snspush" and not sender.idempotent
    published = json.loads(sent_to(FCM_TOKEN).messages[result.provider_id])
    message = json.loads(published["GCM"])["fcmV1Message"]["message"]
    assert message["notification"] == {"title": "Sale", "body": "Shoes -20%"}
    assert message["data"] == {"sku": "42", "deepLink": "shop://sale", "orbitMessageId": "msg_1"}
    assert published["default"] == "Shoes -20%"


def test_sending_twice_to_a_token_reuses_its_endpoint(sender, clients):
    sender.send(push())
    SnsPushSender(sender.settings, clients).send(push())  # another process: CreatePlatformEndpoint finds it
    endpoint = sent_to(FCM_TOKEN)
    assert len(backend().platform_endpoints) == 1 and len(endpoint.messages) == 2


def test_a_disabled_endpoint_is_re_enabled_and_published_to(sender, clients):
    arn = sender.endpoint(sender.settings.sns_platform_application_arn, FCM_TOKEN)
    clients("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    result = SnsPushSender(sender.settings, clients).send(push())
    assert result.provider_id in sent_to(FCM_TOKEN).messages
    assert sent_to(FCM_TOKEN).enabled


def test_an_endpoint_disabled_again_after_it_was_re_enabled_is_permanent(sender, clients):
    sender.send(push())
    arn = sent_to(FCM_TOKEN).arn
    clients("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    sender.send(push())  # re-enabled once
    clients("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})  # SNS disables it again
    with pytest.raises(Permanent, match="no longer valid"):
        sender.send(push())


def test_an_apns_token_goes_to_the_apns_application_with_an_aps_alert(clients):
    settings = Settings(
        sns_platform_application_arn=application(clients),
        sns_apns_application_arn=application(clients, "APNS", "orbit-test-ios"),
    )
    result = SnsPushSender(settings, clients).send(push(APNS_TOKEN, image="https://cdn.example/s.png"))
    endpoint = sent_to(APNS_TOKEN)
    assert endpoint.application.platform == "APNS"
    apns = json.loads(json.loads(endpoint.messages[result.provider_id])["APNS"])
    assert apns["aps"] == {"alert": {"title": "Sale", "body": "Shoes -20%"}, "mutable-content": 1}
    assert (apns["deepLink"], apns["orbitMessageId"], apns["image"]) == (
        "shop://sale",
        "msg_1",
        "https://cdn.example/s.png",
    )


def test_without_a_platform_application_the_send_is_refused_before_any_call():
    def no_call(service):
        raise AssertionError("no AWS call")

    with pytest.raises(Permanent, match="ORBIT_SNS_PLATFORM_APPLICATION_ARN"):
        SnsPushSender(Settings(), no_call).send(push())


def test_a_message_without_a_token_is_refused(sender):
    with pytest.raises(Permanent, match="no push token"):
        sender.send(push(token=""))


def test_an_unknown_platform_application_is_permanent(clients):
    settings = Settings(sns_platform_application_arn="arn:aws:sns:us-east-1:123456789012:app/GCM/orbit-test-gone")
    with pytest.raises(Permanent, match="snspush refused it"):
        SnsPushSender(settings, clients).send(push())


def test_the_platform_is_read_from_the_arn():
    assert platform_of("arn:aws:sns:eu-west-1:1:app/APNS_SANDBOX/orbit-prod-ios") == "APNS_SANDBOX"
    assert platform_of("arn:aws:sns:eu-west-1:1:endpoint/GCM/orbit-prod-android/abc") == "GCM"


def test_apns_sandbox_payloads_go_under_their_own_key():
    assert set(json.loads(payload(push(), "APNS_SANDBOX"))) == {"default", "APNS_SANDBOX"}


def test_snspush_serves_the_mobilepush_channel_only(clients):
    def senders(setting):
        return ChannelSenders(Settings(message_providers=setting), FakeMessageStore(), FixedClock(NOW), clients)

    assert senders("mobilepush=snspush").sender("mobilepush").name == "snspush"
    with pytest.raises(Permanent, match="does not send sms"):
        senders("sms=snspush").sender("sms")
