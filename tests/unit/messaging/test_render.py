"""Rendering: the context's names, undefined values, escaping per field, the sandbox refusing escapes and
runaway work, rendered links checked, and RenderError (never anything else) naming the field and line."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.messaging.context import context_for
from chalicelib.messaging.render import RenderError, render
from tests.unit.messaging.support import email, template

ANN = {"externalId": "u-1", "firstName": "Ann", "email": "ann@example.com", "fields": {"tier": "gold"}}
SHOE = {"id": "p-1", "name": "Runner", "price": "59.90", "currency": "EUR", "url": "https://shop.example/p-1"}


def sms(text: str, context: dict[str, Any] | None = None) -> str:
    return str(render(template("sms", {"text": text}), context or {}).content["text"])


def failure(text: str, context: dict[str, Any] | None = None) -> RenderError:
    with pytest.raises(RenderError) as exc:
        sms(text, context)
    return exc.value


def test_the_context_names_contact_fields_event_vars_and_products():
    text = (
        "{{ contact.firstName }} {{ fields.tier }} {{ contact.fields.tier }} {{ event.orderId }} {{ vars.coupon }}"
        " {% for p in products %}{{ p.name }} {{ p.price }} {{ p.currency }}{% endfor %} {{ recommended | length }}"
    )
    context = {
        "contact": ANN,
        "event": {"orderId": "o-7"},
        "vars": {"coupon": "SAVE10"},
        "products": [SHOE],
        "recommended": [SHOE, {**SHOE, "id": "p-2"}],
    }
    assert sms(text, context) == "Ann gold gold o-7 SAVE10 Runner 59.90 EUR 2"


def test_context_for_a_card_keeps_six_products_per_block():
    context = context_for(ANN, products=[{**SHOE, "id": f"p-{i}"} for i in range(9)], recommended=[SHOE])
    assert (len(context.products), len(context.recommended), context.contact.firstName) == (6, 1, "Ann")


def test_more_than_six_sample_products_are_refused():
    error = failure("x{{ products | length }}", {"products": [SHOE] * 7})
    assert "context is invalid" in error.reason


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Hi {{ contact.firstName }}!", "Hi !"),  # a missing card field
        ("{{ fields.nickname }}", ""),  # a missing additional field
        ("{{ contact.address.town }}", ""),  # the address is always a mapping
        ("{{ nothing }}", ""),  # a missing name
        ("{{ contact.firstName | default('friend') }}", "friend"),
        ("{% if event.coupon %}yes{% else %}no{% endif %}", "no"),
        ("{% for p in event.items %}x{% endfor %}.", "."),
        ("{{ event.gift }}", ""),  # a None value prints as empty
    ],
)
def test_a_missing_value_prints_as_empty_and_is_false(text, shown):
    assert sms(f"{text}|", {"event": {"gift": None}}) == f"{shown}|"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{{ event.cart.total }}", "'dict object' has no attribute 'cart'"),
        ("{{ contcat.firstName }}", "'contcat' is undefined"),
        ("{{ vars.total + 1 }}", "has no attribute 'total'"),
        ("{{ nothing() }}", "'nothing' is undefined"),
    ],
)
def test_going_further_into_a_missing_value_is_a_render_error(text, why):
    error = failure(text)
    assert why in error.reason
    assert error.reason.startswith("text: line 1: ")
    assert error.field == "text"


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ contact.__init__.__globals__ }}",
        "{{ products.append(1) }}",
        "{{ event.update({'a': 1}) }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ ''['__class__'] }}",
        "{{ products | map(attribute='__class__') | list }}",
        "{{ self._TemplateReference__context }}",
    ],
)
def test_sandbox_escapes_are_refused_never_printed_as_empty(text):
    error = failure(text, {"products": [SHOE]})
    assert "not allowed" in error.reason or "unsafe" in error.reason


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{% for i in range(2000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "too much work"),
        ("{{ range(10 ** 6) }}", "Range too big"),
        ("{{ 'ab' * 100000 }}", "repetition"),
        ("{{ 9 ** 99999999 }}", "exponent"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{% include 'other.html' %}", "no loader"),
    ],
)
def test_runaway_or_failing_work_is_a_render_error(text, why):
    assert why in failure(text).reason


def test_a_syntax_error_in_a_stored_template_is_a_render_error_naming_the_line():
    stored = template("sms", {"text": "fine"})
    broken = stored.model_copy(update={"content": {"text": "line one\n{% if x %}never closed"}})
    with pytest.raises(RenderError) as exc:
        render(broken, {})
    assert exc.value.reason.startswith("text: line 2: ")


def test_event_properties_named_like_mapping_methods_are_the_properties():
    assert (
        sms(
            "{% for i in event.items %}{{ i.sku }} {% endfor %}{{ event.keys }}",
            {"event": {"items": [{"sku": "a"}], "keys": 3}},
        )
        == "a 3"
    )


def test_html_fields_escape_values_and_text_fields_do_not():
    rendered = render(
        email(subject="Hi {{ contact.firstName }}", html="<p>{{ contact.firstName }}</p>"),
        {"contact": {"firstName": "<Tom & Jerry>"}},
    ).content
    assert rendered["subject"] == "Hi <Tom & Jerry>"
    assert "<p>&lt;Tom &amp; Jerry&gt;</p>" in rendered["html"]
    assert rendered["text"] == "<Tom & Jerry>"
    assert sms("{{ contact.firstName }}", {"contact": {"firstName": "<b>"}}) == "<b>"


def test_telegram_escapes_values_for_its_parse_mode():
    context = {"contact": {"firstName": "a_b <c>"}}
    html = render(template("telegram", {"text": "<b>{{ contact.firstName }}</b>", "parseMode": "HTML"}), context)
    assert html.content["text"] == "<b>a_b &lt;c&gt;</b>"
    markdown = render(template("telegram", {"text": "*{{ contact.firstName }}*", "parseMode": "MarkdownV2"}), context)
    assert markdown.content["text"] == "*a\\_b <c\\>*"
    plain = render(template("telegram", {"text": "{{ contact.firstName }}"}), context)
    assert plain.content["text"] == "a_b <c>"


def test_nested_values_render_and_static_settings_stay():
    push = template(
        "mobilepush",
        {
            "body": "{{ products[0].name }}",
            "deepLink": "shop://p/{{ products[0].id }}",
            "data": {"id": "{{ products[0].id }}"},
        },
    )
    assert render(push, {"products": [SHOE]}).content == {
        "body": "Runner",
        "deepLink": "shop://p/p-1",
        "data": {"id": "p-1"},
    }
    telegram = template(
        "telegram",
        {"text": "t", "buttons": [[{"text": "{{ products[0].name }}", "url": "{{ products[0].url }}"}]]},
    )
    assert render(telegram, {"products": [SHOE]}).content["buttons"] == [[{"text": "Runner", "url": SHOE["url"]}]]
    inbox = template("appinbox", {"title": "t", "expiresInDays": 3})
    assert render(inbox, {}).content == {"title": "t", "expiresInDays": 3}


def test_a_rendered_link_must_be_http_and_one_rendering_empty_is_left_out():
    push = template("webpush", {"title": "t", "url": "{{ vars.link }}", "icon": "{{ vars.icon }}"})
    assert render(push, {"vars": {"link": "https://shop.example/x"}}).content == {
        "title": "t",
        "url": "https://shop.example/x",
    }
    with pytest.raises(RenderError) as exc:
        render(push, {"vars": {"link": "javascript:alert(1)"}})
    assert exc.value.field == "url" and "must be an http or https URL" in exc.value.reason


def test_a_required_field_that_renders_empty_fails_and_an_optional_one_is_left_out():
    with pytest.raises(RenderError) as exc:
        render(email(subject="{{ vars.subject }}"), {})
    assert (exc.value.field, exc.value.reason) == ("subject", "subject: rendered empty")
    assert "preheader" not in render(email(preheader="{{ vars.nothing }}"), {}).content
    assert failure("{{ vars.nothing }}").reason == "text: rendered empty"


def test_a_rendered_subject_and_preheader_are_one_line():
    rendered = render(email(subject="Hi\n {{ vars.name }}\r\n!", preheader=" a\nb "), {"vars": {"name": "Ann"}})
    assert (rendered.content["subject"], rendered.content["preheader"]) == ("Hi Ann !", "a b")


def test_only_render_errors_escape_even_for_a_broken_context_or_stored_content():
    with pytest.raises(RenderError):
        render(template("sms", {"text": "x"}), {"contact": {"languageCode": 42}})
    stored = template("sms", {"text": "x"})
    with pytest.raises(RenderError) as exc:
        render(stored.model_copy(update={"content": {"txt": "x"}}), {})
    assert "stored en content is invalid" in exc.value.reason


def test_mapping_methods_still_work_when_called_and_are_missing_otherwise():
    context = {"contact": {"fields": {"tier": "gold", "city": "Kyiv"}}, "event": {}}
    assert sms("{% for k, v in fields | dictsort %}{{ k }}={{ v }};{% endfor %}", context) == "city=Kyiv;tier=gold;"
    assert sms("{% for k, v in fields.items() %}{{ k }};{% endfor %}{{ fields.get('tier') }}", context) == (
        "tier;city;gold"
    )
    assert sms("[{{ event.items }}]{% if event.values %}yes{% endif %}", context) == "[]"
    assert "not allowed" in failure("{{ event.items._method }}").reason


def test_a_push_data_value_is_the_apps_business_even_under_a_link_like_key():
    push = template("mobilepush", {"body": "b", "data": {"url": "myapp://cart", "image": ""}})
    assert render(push, {}).content["data"] == {"url": "myapp://cart", "image": ""}


def test_a_button_whose_url_renders_empty_is_a_render_error():
    telegram = template("telegram", {"text": "t", "buttons": [[{"text": "Go", "url": "{{ vars.link }}"}]]})
    with pytest.raises(RenderError) as exc:
        render(telegram, {})
    assert exc.value.reason == "buttons[0][0].url: rendered empty"
