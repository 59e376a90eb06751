"""Reading Telegram updates and Viber callbacks, Viber's signature, and the links and identifiers of chat linking."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.messaging import chat_links, telegram_updates, viber_callbacks
from chalicelib.messaging.telegram_updates import ChatUpdate
from chalicelib.messaging.viber_callbacks import ViberEvent


def message(text: Any, chat: Any = 42) -> dict[str, Any]:
    return {"update_id": 1, "message": {"message_id": 3, "chat": {"id": chat, "type": "private"}, "text": text}}


@pytest.mark.parametrize(
    ("update", "meaning"),
    [
        (message("/start Zq3_abc-DEF0123456789"), ChatUpdate("start", "42", "Zq3_abc-DEF0123456789")),
        (message("/start@OrbitShopBot Zq3"), ChatUpdate("start", "42", "Zq3")),
        (message("/start"), ChatUpdate("start", "42")),
        (message("/stop"), ChatUpdate("stop", "42")),
        (message("/stop", chat=-1001234), ChatUpdate("stop", "-1001234")),
        (
            {"my_chat_member": {"chat": {"id": 42}, "new_chat_member": {"status": "kicked"}}},
            ChatUpdate("blocked", "42"),
        ),
    ],
)
def test_telegram_updates_orbit_acts_on(update: dict[str, Any], meaning: ChatUpdate) -> None:
    assert telegram_updates.parse(update) == meaning


@pytest.mark.parametrize(
    "update",
    [
        message("hello"),
        message("/started"),
        message(None),
        message("/stop", chat=True),
        {"my_chat_member": {"chat": {"id": 42}, "new_chat_member": {"status": "member"}}},
        {"edited_message": {"chat": {"id": 42}, "text": "/stop"}},
        [],
        "update",
    ],
)
def test_other_telegram_updates_mean_nothing(update: Any) -> None:
    assert telegram_updates.parse(update) is None


def test_a_viber_signature_is_the_hex_hmac_of_the_body() -> None:
    body = b'{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}'
    good = viber_callbacks.signature("token", body)
    assert viber_callbacks.signed("token", body, good)
    assert viber_callbacks.signed("token", body, good.upper())
    assert not viber_callbacks.signed("token", body + b" ", good)
    assert not viber_callbacks.signed("other", body, good)
    assert not viber_callbacks.signed("token", body, None)


@pytest.mark.parametrize(
    ("body", "meaning"),
    [
        ({"event": "webhook", "timestamp": 1795780800000}, ViberEvent("webhook", "2026-11-27T12:00:00.000Z")),
        (
            {"event": "delivered", "timestamp": 1795780800000, "message_token": 4912661846655238145, "user_id": "u="},
            ViberEvent("delivered", "2026-11-27T12:00:00.000Z", "4912661846655238145", "u="),
        ),
        (
            {"event": "failed", "message_token": 7, "user_id": "u=", "desc": "no such user"},
            ViberEvent("failed", None, "7", "u=", description="no such user"),
        ),
        ({"event": "unsubscribed", "user_id": "u="}, ViberEvent("unsubscribed", None, None, "u=")),
        ({"event": "subscribed", "user": {"id": "u="}}, ViberEvent("subscribed", None, None, "u=")),
        (
            {"event": "conversation_started", "user": {"id": "u="}, "context": "Zq3", "message_token": 9},
            ViberEvent("conversation_started", None, "9", "u=", context="Zq3"),
        ),
    ],
)
def test_viber_callbacks_orbit_acts_on(body: dict[str, Any], meaning: ViberEvent) -> None:
    assert viber_callbacks.parse(body) == meaning


@pytest.mark.parametrize(
    "body",
    [
        {"event": "message", "sender": {"id": "u="}, "message": {"type": "text", "text": "hi"}},
        {"event": "delivered", "user_id": "u="},  # no message token
        {"event": "unsubscribed"},  # no user
        {"event": "seen", "message_token": True},
        [],
    ],
)
def test_other_viber_callbacks_mean_nothing(body: Any) -> None:
    assert viber_callbacks.parse(body) is None


def test_link_codes_fit_telegrams_start_parameter() -> None:
    code = chat_links.new_code()
    assert chat_links.is_code(code) and len(code) == 32
    assert code != chat_links.new_code()
    assert not chat_links.is_code("short")
    assert not chat_links.is_code("x" * 65)
    assert not chat_links.is_code("has spaces in it 123")


def test_deep_links_carry_the_code() -> None:
    assert chat_links.telegram_link("@OrbitShopBot", "Zq3") == "https://t.me/OrbitShopBot?start=Zq3"
    assert chat_links.viber_link("orbit shop", "Zq3") == "viber://pa?chatURI=orbit%20shop&context=Zq3"


def test_a_linked_chat_becomes_the_latest_identifier_of_its_channel() -> None:
    held: list[dict[str, object]] = [
        {"type": "telegram", "value": "1"},
        {"type": "mobilepush", "value": "tok"},
    ]
    assert chat_links.with_identifier(held, "telegram", "2") == [
        *held,
        {"type": "telegram", "value": "2", "active": True},
    ]
    assert chat_links.with_identifier(held, "telegram", "1") is None  # already the one messages go to
    moved = chat_links.with_identifier([*held, {"type": "telegram", "value": "2"}], "telegram", "1")
    assert moved == [
        {"type": "mobilepush", "value": "tok"},
        {"type": "telegram", "value": "2"},
        {"type": "telegram", "value": "1", "active": True},
    ]
