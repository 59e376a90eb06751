"""Telegram and Viber through the API on moto: a contact's deep link, the bot's webhook linking the chat, messages
sent through the real senders (to a provider on loopback) and Viber's signed callbacks counting on them; bad
secrets and signatures are refused, repeated callbacks count once, expired link codes link nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import aws, deps
from chalicelib.messaging import viber_callbacks
from chalicelib.ports import Ports
from chalicelib.providers import secrets
from chalicelib.services.messaging import chat_links
from tests.conftest import Api
from tests.providers.conftest import Loopback, loopback  # noqa: F401 (the provider on loopback)

VIBER_TOKEN = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"
TEMPLATES = {
    "telegram": {"id": "tg", "name": "Telegram news", "channel": "telegram", "content": {"text": "Sale!"}},
    "viber": {"id": "vb", "name": "Viber news", "channel": "viber", "content": {"text": "Sale!"}},
}


@pytest.fixture
def chat(api: Api, loopback: Loopback) -> Iterator[Api]:  # noqa: F811
    """The API with Telegram and Viber configured: both providers on loopback, the Viber token in SSM."""
    secrets.forget()
    aws.client("ssm").put_parameter(Name="/orbit-test/viber", Value=VIBER_TOKEN, Type="SecureString")
    settings = api.stores.settings.model_copy(
        update={
            "message_providers": "telegram=telegram,viber=viber",
            "telegram_bot_token": "ssm:/orbit-test/viber",  # any readable reference: the loopback ignores it
            "telegram_base_url": loopback.url,
            "telegram_bot_username": "OrbitShopBot",
            "viber_auth_token": "ssm:/orbit-test/viber",
            "viber_sender_name": "Shop",
            "viber_base_url": loopback.url,
            "viber_chat_uri": "orbitshop",
            "allow_private_webhooks": True,
            "public_url": "https://api.shop.example",
        }
    )
    wired: Ports = deps.build(settings, api.stores.clock)
    deps.pin(wired)
    assert api.call("PUT", "/v1/contacts/ann", {"email": "ann@example.com"}).status_code in (200, 201)
    yield dataclasses.replace(api, stores=wired)
    secrets.forget()


def telegram(api: Api, update: dict[str, Any], secret: str | None = "valid") -> tuple[int, Any]:
    token = chat_links.telegram_webhook_secret(api.stores) if secret == "valid" else secret
    headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
    return api.json("POST", "/v1/callbacks/telegram", update, key=None, headers=headers)


def start(chat_id: int, text: str, update_id: int = 1) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Ann"},
            "date": 1795780800,
            "text": text,
        },
    }


def blocked(chat_id: int) -> dict[str, Any]:
    return {
        "update_id": 9,
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "date": 1795780900,
            "old_chat_member": {"user": {"id": 1, "is_bot": True, "first_name": "Shop"}, "status": "member"},
            "new_chat_member": {"user": {"id": 1, "is_bot": True, "first_name": "Shop"}, "status": "kicked"},
        },
    }


def viber(api: Api, body: dict[str, Any], signature: str | None = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode()
    signed = signature if signature is not None else viber_callbacks.signature(VIBER_TOKEN, raw)
    headers = {"X-Viber-Content-Signature": signed}
    return api.json("POST", "/v1/callbacks/viber", key=None, raw=raw, headers=headers)


def link_code(api: Api, channel: str) -> str:
    status, made = api.json("POST", f"/v1/contacts/ann/{channel}-link")
    assert status == 201, made
    query = parse_qs(urlsplit(made["url"]).query)
    return (query["start"] if channel == "telegram" else query["context"])[0]


def consent(api: Api, channel: str) -> dict[str, Any]:
    channels: dict[str, Any] = api.json("GET", "/v1/contacts/ann/consent")[1]["channels"]
    return dict(channels[channel])


def identifiers(api: Api, channel: str) -> list[str]:
    card = api.json("GET", "/v1/contacts/ann")[1]
    return [c["value"] for c in card["channels"] if c["type"] == channel]


def send(api: Api, channel: str) -> dict[str, Any]:
    api.json("POST", "/v1/templates", TEMPLATES[channel])
    template = TEMPLATES[channel]["id"]
    status, message = api.json("POST", "/v1/messages/send", {"templateId": template, "externalId": "ann"})
    assert status == 201 and message["status"] == "sent", message
    return message


def activity(api: Api, kind: str) -> list[dict[str, Any]]:
    api.drain()
    return [e for e in api.json("GET", "/v1/contacts/ann/activity")[1]["events"] if e["type"] == kind]


# --- Telegram --------------------------------------------------------------------------------------------------


def test_a_telegram_link_is_a_t_me_deep_link_with_a_short_code(chat: Api) -> None:
    status, made = chat.json("POST", "/v1/contacts/ann/telegram-link")
    assert status == 201
    code = made["code"]
    assert made["url"] == f"https://t.me/OrbitShopBot?start={code}"
    assert len(code) <= 64 and all(c.isalnum() or c in "-_" for c in code)
    assert chat.json("POST", "/v1/contacts/nobody/telegram-link")[0] == 404


def test_start_with_the_code_links_the_chat_and_subscribes_it(chat: Api, loopback: Loopback) -> None:  # noqa: F811
    code = link_code(chat, "telegram")
    assert telegram(chat, start(4242, f"/start {code}")) == (200, {"outcome": "linked"})
    assert identifiers(chat, "telegram") == ["4242"]
    assert consent(chat, "telegram")["status"] == "subscribed"
    # the sender writes to the linked chat, and the message is found by the id Telegram gave it
    loopback.answer(200, {"ok": True, "result": {"message_id": 77}})
    message = send(chat, "telegram")
    assert loopback.seen[-1].json()["chat_id"] == "4242"
    found = chat.stores.messages.message_by_provider_id("telegram", "4242:77")
    assert found is not None and found.id == message["id"]
    # pressing Start again changes nothing
    assert telegram(chat, start(4242, f"/start {code}"))[1] == {"outcome": "linked"}
    assert identifiers(chat, "telegram") == ["4242"]


def test_a_wrong_or_missing_telegram_secret_is_refused(chat: Api) -> None:
    code = link_code(chat, "telegram")
    assert telegram(chat, start(4242, f"/start {code}"), secret="not-the-secret")[0] == 401
    assert telegram(chat, start(4242, f"/start {code}"), secret=None)[0] == 401
    assert identifiers(chat, "telegram") == []


def test_an_expired_link_code_links_nothing(chat: Api) -> None:
    code = link_code(chat, "telegram")
    chat.stores.clock.advance(days=8)  # type: ignore[attr-defined]
    assert telegram(chat, start(4242, f"/start {code}"))[1] == {"outcome": "expired"}
    assert identifiers(chat, "telegram") == []


def test_an_unknown_code_links_nothing(chat: Api) -> None:
    assert telegram(chat, start(4242, "/start c0de-that-was-never-made"))[1] == {"outcome": "ignored"}
    assert identifiers(chat, "telegram") == []


def test_blocking_the_bot_unsubscribes_the_chat_with_reason_blocked(chat: Api) -> None:
    telegram(chat, start(4242, f"/start {link_code(chat, 'telegram')}"))
    assert telegram(chat, blocked(4242))[1] == {"outcome": "unsubscribed"}
    assert telegram(chat, blocked(4242))[1] == {"outcome": "unsubscribed"}  # Telegram's retry: nothing more
    shown = consent(chat, "telegram")
    assert (shown["status"], shown["reason"], shown["source"]) == ("unsubscribed", "blocked", "telegram")
    status, message = chat.json("POST", "/v1/messages/send", {"templateId": "tg", "externalId": "ann"})
    chat.json("POST", "/v1/templates", TEMPLATES["telegram"])
    status, message = chat.json("POST", "/v1/messages/send", {"templateId": "tg", "externalId": "ann"})
    assert message["failure"] == "unsubscribed", message


def test_stop_unsubscribes_and_start_subscribes_again(chat: Api) -> None:
    telegram(chat, start(4242, f"/start {link_code(chat, 'telegram')}"))
    assert telegram(chat, start(4242, "/stop", 2))[1] == {"outcome": "unsubscribed"}
    assert consent(chat, "telegram")["status"] == "unsubscribed"
    assert telegram(chat, start(4242, "/start", 3))[1] == {"outcome": "subscribed"}
    assert consent(chat, "telegram")["status"] == "subscribed"


def test_a_chat_the_contact_replaced_changes_nothing(chat: Api) -> None:
    telegram(chat, start(4242, f"/start {link_code(chat, 'telegram')}"))
    telegram(chat, start(5555, f"/start {link_code(chat, 'telegram')}", 2))
    assert identifiers(chat, "telegram") == ["4242", "5555"]
    assert telegram(chat, blocked(4242))[1] == {"outcome": "ignored"}
    assert consent(chat, "telegram")["status"] == "subscribed"


def test_a_chat_never_linked_changes_nothing(chat: Api) -> None:
    assert telegram(chat, blocked(999))[1] == {"outcome": "ignored"}
    assert consent(chat, "telegram")["status"] == "subscribed"


def test_the_webhook_registration_data_names_the_url_and_secret(chat: Api) -> None:
    status, shown = chat.json("GET", "/v1/callbacks/telegram/webhook")
    assert status == 200
    assert shown == {
        "url": "https://api.shop.example/v1/callbacks/telegram",
        "secretToken": chat_links.telegram_webhook_secret(chat.stores),
    }
    assert chat.json("GET", "/v1/callbacks/telegram/webhook", key=None)[0] == 401


# --- Viber -------------------------------------------------------------------------------------------------------


def viber_linked(api: Api) -> None:
    code = link_code(api, "viber")
    started = {
        "event": "conversation_started",
        "timestamp": 1795780800000,
        "message_token": 4912661846655238145,
        "type": "open",
        "context": code,
        "user": {"id": "01234567890A=", "name": "Ann", "language": "en", "country": "DE", "api_version": 10},
        "subscribed": False,
    }
    assert viber(api, started) == (200, {"outcome": "linked"})


def test_a_viber_link_carries_the_code_as_context(chat: Api) -> None:
    status, made = chat.json("POST", "/v1/contacts/ann/viber-link")
    assert status == 201
    assert made["url"] == f"viber://pa?chatURI=orbitshop&context={made['code']}"


def test_conversation_started_with_the_code_links_the_viber_user(chat: Api) -> None:
    viber_linked(chat)
    assert identifiers(chat, "viber") == ["01234567890A="]
    assert consent(chat, "viber")["status"] == "subscribed"


def test_a_bad_viber_signature_is_refused(chat: Api) -> None:
    body = {"event": "unsubscribed", "timestamp": 1795780800000, "user_id": "01234567890A="}
    assert viber(chat, body, signature="0" * 64)[0] == 401
    assert viber(chat, body, signature="")[0] == 401
    assert viber(chat, {"event": "webhook", "timestamp": 1795780800000}) == (200, {"outcome": "ignored"})


def test_viber_delivered_and_seen_count_once(chat: Api, loopback: Loopback) -> None:  # noqa: F811
    viber_linked(chat)
    loopback.answer(200, {"status": 0, "status_message": "ok", "message_token": 5741311803571721087})
    message = send(chat, "viber")
    assert loopback.seen[-1].json()["receiver"] == "01234567890A="
    base = {"timestamp": 1795780860000, "message_token": 5741311803571721087, "user_id": "01234567890A="}
    assert viber(chat, {"event": "delivered", **base})[1] == {"outcome": "recorded"}
    assert viber(chat, {"event": "delivered", **base})[1] == {"outcome": "duplicate"}
    assert viber(chat, {"event": "seen", **base})[1] == {"outcome": "recorded"}
    assert viber(chat, {"event": "seen", **base})[1] == {"outcome": "duplicate"}
    shown = chat.json("GET", f"/v1/messages/{message['id']}")[1]
    assert shown["counters"]["delivered"] == 1 and shown["counters"]["opened"] == 1
    (delivered,) = activity(chat, "Message Delivered")
    assert delivered["properties"]["channel"] == "viber" and delivered["properties"]["messageId"] == message["id"]
    assert len(activity(chat, "Message Opened")) == 1


def test_viber_failed_fails_the_message_with_the_description(chat: Api, loopback: Loopback) -> None:  # noqa: F811
    viber_linked(chat)
    loopback.answer(200, {"status": 0, "status_message": "ok", "message_token": 5741311803571721088})
    message = send(chat, "viber")
    body = {
        "event": "failed",
        "timestamp": 1795780860000,
        "message_token": 5741311803571721088,
        "user_id": "01234567890A=",
        "desc": "failure description",
    }
    assert viber(chat, body)[1] == {"outcome": "recorded"}
    assert viber(chat, body)[1] == {"outcome": "duplicate"}
    shown = chat.json("GET", f"/v1/messages/{message['id']}")[1]
    assert (shown["status"], shown["reason"]) == ("failed", "failure description")
    (failed,) = activity(chat, "Message Failed")
    assert failed["properties"]["reason"] == "failure description" and failed["properties"]["channel"] == "viber"


def test_viber_unsubscribed_and_subscribed_set_consent(chat: Api) -> None:
    viber_linked(chat)
    body = {"event": "unsubscribed", "timestamp": 1795780900000, "user_id": "01234567890A=", "message_token": 1}
    assert viber(chat, body)[1] == {"outcome": "unsubscribed"}
    assert consent(chat, "viber")["status"] == "unsubscribed"
    again = {"event": "subscribed", "timestamp": 1795781000000, "user": {"id": "01234567890A="}, "message_token": 2}
    assert viber(chat, again)[1] == {"outcome": "subscribed"}
    assert consent(chat, "viber")["status"] == "subscribed"


def test_a_viber_callback_for_no_orbit_message_is_ignored(chat: Api) -> None:
    body = {"event": "delivered", "timestamp": 1795780860000, "message_token": 1, "user_id": "x"}
    assert viber(chat, body)[1] == {"outcome": "ignored"}
