import pytest

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.viber import ViberSender
from chalicelib.settings import Settings


@pytest.fixture
def sender(clients, loopback):
    clients("ssm").put_parameter(Name="/orbit-test/viber", Value="vb-token", Type="SecureString")
    settings = Settings(
        viber_auth_token="ssm:/orbit-test/viber",
        viber_sender_name="Shop",
        viber_base_url=loopback.url,
        allow_private_webhooks=True,
    )
    return ViberSender(settings, clients)


def message(content, to=None):
    return Outgoing("msg_1", "viber", "x#ann", "v", to or {"type": "viber", "value": "01234567890A="}, content)


def test_a_text_message_with_the_auth_token_header(sender, loopback):
    loopback.answer(200, {"status": 0, "status_message": "ok", "message_token": 5741311803571721087})
    result = sender.send(message({"text": "Hello Ann"}))
    assert (result.provider, result.provider_id) == ("viber", "5741311803571721087")
    (seen,) = loopback.seen
    assert seen.path == "/pa/send_message" and seen.headers["x-viber-auth-token"] == "vb-token"
    assert seen.json() == {
        "receiver": "01234567890A=",
        "sender": {"name": "Shop"},
        "min_api_version": 7,
        "type": "text",
        "text": "Hello Ann",
    }


def test_a_picture_and_a_rich_media_card_with_its_button(sender, loopback):
    loopback.answer(200, {"status": 0, "message_token": 1})
    sender.send(message({"text": "Sale", "image": "https://shop.example/s.jpg"}))
    sender.send(
        message(
            {
                "text": "Sale",
                "image": "https://shop.example/s.jpg",
                "buttonText": "Shop",
                "buttonUrl": "https://s.example",
            }
        )
    )
    picture, card = (s.json() for s in loopback.seen)
    assert (picture["type"], picture["media"], picture["text"]) == ("picture", "https://shop.example/s.jpg", "Sale")
    assert card["type"] == "rich_media" and card["alt_text"] == "Sale"
    buttons = card["rich_media"]["Buttons"]
    assert buttons[-1] == {
        "Columns": 6,
        "Rows": 1,
        "ActionType": "open-url",
        "ActionBody": "https://s.example",
        "Text": "Shop",
    }
    assert card["rich_media"]["ButtonsGroupRows"] == sum(b["Rows"] for b in buttons)


def test_a_receiver_not_subscribed_is_permanent_with_viber_s_reason(sender, loopback):
    loopback.answer(200, {"status": 6, "status_message": "notSubscribed"})
    with pytest.raises(Permanent, match="status 6: notSubscribed"):
        sender.send(message({"text": "hi"}))


def test_rate_limits_and_server_errors_are_retryable(sender, loopback):
    loopback.answer(200, {"status": 12, "status_message": "tooManyRequests"})
    with pytest.raises(Retryable):
        sender.send(message({"text": "hi"}))
    loopback.answers[:] = [(502, b"bad gateway")]
    with pytest.raises(Retryable):
        sender.send(message({"text": "hi"}))


def test_a_phone_number_is_not_a_viber_receiver(sender, loopback):
    with pytest.raises(Permanent, match="Viber user id"):
        sender.send(message({"text": "hi"}, to={"phone": "+380501234567"}))
    assert not loopback.seen
