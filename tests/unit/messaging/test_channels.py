"""Each channel's content model: what it accepts, and errors naming every bad field (``content.<field>``)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.messaging.templates import TemplateIn, checked_content
from tests.unit.messaging.support import EMAIL, template


def bad_paths(channel: str, content: dict[str, Any], **extra: Any) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        checked_content(TemplateIn.model_validate({"name": "t", "channel": channel, "content": content, **extra}))
    return sorted(d.path for d in exc.value.details)


VALID: dict[str, dict[str, Any]] = {
    "email": {**EMAIL, "replyTo": "Help@Example.com", "preheader": "Our news", "text": "Hi"},
    "sms": {"text": "Hi {{ contact.firstName }}"},
    "mobilepush": {
        "title": "Back in stock",
        "body": "{{ products[0].name }} is back",
        "image": "https://cdn.example/p.jpg",
        "deepLink": "shop://product/{{ products[0].id }}",
        "data": {"productId": "{{ products[0].id }}"},
    },
    "webpush": {"title": "Sale", "body": "-20%", "icon": "https://cdn.example/i.png", "url": "https://shop.example"},
    "telegram": {
        "text": "<b>Hi</b> {{ contact.firstName }}",
        "parseMode": "HTML",
        "buttons": [[{"text": "Open", "url": "https://shop.example"}, {"text": "Cart", "url": "{{ vars.cartUrl }}"}]],
    },
    "viber": {
        "text": "Hi",
        "image": "https://cdn.example/v.jpg",
        "buttonText": "Shop",
        "buttonUrl": "https://shop.example",
    },
    "appinbox": {"title": "Your coupon", "body": "SAVE10", "link": "https://shop.example/c", "expiresInDays": 7},
    "inapp": {
        "title": "Join us",
        "html": "<p>10% off your first order</p>",
        "position": "bottomRight",
        "form": {
            "fields": [{"name": "email", "label": "Email", "required": True}, {"name": "fields.city", "label": "City"}]
        },
    },
}


@pytest.mark.parametrize("channel", sorted(VALID))
def test_each_channel_accepts_its_fields(channel):
    built = template(channel, VALID[channel])
    assert built.channel == channel
    assert built.content_for("en").model_dump(mode="json", exclude_none=True).keys() == VALID[channel].keys()


@pytest.mark.parametrize("channel", sorted(VALID))
def test_each_channel_names_an_unknown_field(channel):
    assert bad_paths(channel, {**VALID[channel], "colour": "red"}) == ["content.colour"]


def test_an_email_names_every_bad_field():
    content = {"from": "not an address", "replyTo": "nope", "subject": "", "html": "<p>x</p>", "cc": "a@b.co"}
    assert bad_paths("email", content) == ["content.cc", "content.from", "content.replyTo", "content.subject"]


def test_an_email_sender_may_carry_a_display_name_and_is_normalised():
    assert (
        template("email", {**EMAIL, "from": "  Shop  <Shop@Example.COM>"}).content["from"] == "Shop <shop@example.com>"
    )
    assert template("email", {**EMAIL, "from": "shop@example.com"}).content["from"] == "shop@example.com"


def test_an_email_needs_html_or_text():
    assert bad_paths("email", {"from": "a@example.com", "subject": "Hi"}) == ["content"]
    assert template("email", {"from": "a@example.com", "subject": "Hi", "text": "Plain"}).content["text"] == "Plain"


def test_an_sms_needs_text_of_at_most_1600_characters():
    assert bad_paths("sms", {}) == ["content.text"]
    assert bad_paths("sms", {"text": "x" * 1601}) == ["content.text"]


def test_push_links_must_be_http_urls_or_placeholders_and_deep_links_need_a_scheme():
    content = {"body": "b", "image": "ftp://x/y.png", "deepLink": "javascript:alert(1)", "data": {"k": "x" * 1001}}
    assert bad_paths("mobilepush", content) == ["content.data.k", "content.deepLink", "content.image"]
    assert bad_paths("webpush", {"title": "t", "url": "/relative", "icon": "cdn/i.png"}) == [
        "content.icon",
        "content.url",
    ]


def test_a_mobile_push_needs_a_body_and_a_web_push_a_title():
    assert bad_paths("mobilepush", {"title": "t"}) == ["content.body"]
    assert bad_paths("webpush", {"body": "b"}) == ["content.title"]


def test_telegram_parse_mode_and_buttons_are_checked():
    content = {"text": "t", "parseMode": "Markdown", "buttons": [[{"text": "x", "url": "tg://no"}], []]}
    assert bad_paths("telegram", content) == ["content.buttons[0][0].url", "content.buttons[1]", "content.parseMode"]


def test_viber_button_text_and_url_go_together_and_text_or_image_is_needed():
    assert bad_paths("viber", {"text": "t", "buttonText": "Go"}) == ["content"]
    assert bad_paths("viber", {"buttonText": "Go", "buttonUrl": "https://x.example"}) == ["content"]
    assert template("viber", {"image": "https://cdn.example/v.jpg"}).content == {"image": "https://cdn.example/v.jpg"}


def test_app_inbox_expiry_is_1_to_365_days():
    assert bad_paths("appinbox", {"title": "t", "expiresInDays": 0}) == ["content.expiresInDays"]
    assert bad_paths("appinbox", {"title": "t", "expiresInDays": 366}) == ["content.expiresInDays"]


def test_an_in_app_form_asks_for_email_or_phone_with_known_field_names():
    form = {"fields": [{"name": "email", "label": "Email"}, {"name": "nickname", "label": "Nick"}]}
    assert bad_paths("inapp", {"title": "t", "form": form}) == ["content.form.fields[1].name"]
    no_address = {"fields": [{"name": "firstName", "label": "Name"}]}
    assert bad_paths("inapp", {"title": "t", "form": no_address}) == ["content.form"]
    assert bad_paths("inapp", {"title": "t", "position": "middle"}) == ["content.position"]
    assert bad_paths("inapp", {"position": "top"}) == ["content"]  # nothing to show


def test_an_unknown_channel_is_named():
    with pytest.raises(Exception) as exc:
        TemplateIn.model_validate({"name": "t", "channel": "fax", "content": {}})
    assert "channel" in str(exc.value)
