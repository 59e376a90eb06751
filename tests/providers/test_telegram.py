import pytest

from chalicelib.errors import Permanent, Retryable
from chalicelib.messaging.outbound import Outgoing
from chalicelib.providers.telegram import TelegramSender
from chalicelib.settings import Settings

TOKEN = "123456:ABC-secret"
BUTTONS = [[{"text": "Track", "url": "https://shop.example/t/1"}, {"text": "Help", "url": "https://shop.example/h"}]]


@pytest.fixture
def sender(clients, loopback):
    clients("secretsmanager").create_secret(Name="orbit-test/telegram", SecretString=TOKEN)
    settings = Settings(
        telegram_bot_token="secretsmanager:orbit-test/telegram",
        telegram_base_url=loopback.url,
        allow_private_webhooks=True,
    )
    return TelegramSender(settings, clients)


def message(content):
    return Outgoing("msg_1", "telegram", "x#ann", "t", {"type": "telegram", "value": "98765"}, content)


def test_send_message_with_parse_mode_and_an_inline_keyboard(sender, loopback):
    loopback.answer(200, {"ok": True, "result": {"message_id": 42, "chat": {"id": 98765}}})
    result = sender.send(message({"text": "<b>Shipped</b>", "parseMode": "HTML", "buttons": BUTTONS}))
    assert (result.provider, result.provider_id) == ("telegram", "98765:42")
    (seen,) = loopback.seen
    assert seen.path == f"/bot{TOKEN}/sendMessage" and seen.headers["content-type"] == "application/json"
    assert seen.json() == {
        "chat_id": "98765",
        "text": "<b>Shipped</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": BUTTONS},
    }


def test_an_image_is_sent_with_send_photo_and_the_text_as_caption(sender, loopback):
    loopback.answer(200, {"ok": True, "result": {"message_id": 7}})
    sender.send(message({"text": "New in", "image": "https://shop.example/p.jpg"}))
    (seen,) = loopback.seen
    assert seen.path.endswith("/sendPhoto")
    assert seen.json() == {"chat_id": "98765", "photo": "https://shop.example/p.jpg", "caption": "New in"}


@pytest.mark.parametrize(
    ("status", "description"),
    [(403, "Forbidden: bot was blocked by the user"), (400, "Bad Request: chat not found")],
)
def test_a_blocked_bot_or_unknown_chat_is_permanent_with_the_description(sender, loopback, status, description):
    loopback.answer(status, {"ok": False, "error_code": status, "description": description})
    with pytest.raises(Permanent, match=description) as caught:
        sender.send(message({"text": "hi"}))
    assert TOKEN not in str(caught.value)


def test_flood_control_is_retryable(sender, loopback):
    loopback.answer(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5"})
    with pytest.raises(Retryable):
        sender.send(message({"text": "hi"}))


def test_a_message_without_a_chat_id_is_refused(sender):
    with pytest.raises(Permanent, match="chat id"):
        sender.send(Outgoing("msg_1", "telegram", "x#ann", "t", {}, {"text": "hi"}))
