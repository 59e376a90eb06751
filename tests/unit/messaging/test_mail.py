"""Email finishing: CSS inlined (media queries kept, nothing fetched), the preheader as the hidden first element,
and the text part made from the HTML when absent."""

from __future__ import annotations

from chalicelib.messaging.mail import html_to_text, inline_css, with_preheader
from chalicelib.messaging.render import render
from tests.unit.messaging.support import email

PAGE = """<!DOCTYPE html>
<html><head><title>News</title>
<style>
  p { color: #333333; }
  .cta { background: #ff6600; }
  @media (max-width: 600px) { p { font-size: 18px; } }
</style>
<link rel="stylesheet" href="http://127.0.0.1:9/never-fetched.css">
</head>
<body class="mail"><p>Hello</p><a class="cta" style="padding: 4px" href="https://shop.example">Shop</a></body></html>"""


def test_css_rules_move_into_style_attributes_and_media_queries_stay():
    inlined = inline_css(PAGE)
    assert '<p style="color: #333333;">Hello</p>' in inlined
    assert 'style="background: #ff6600;padding: 4px"' in inlined  # the element's own style is kept
    assert "@media (max-width: 600px)" in inlined
    assert ".cta {" not in inlined  # inlined rules leave the style block


def test_linked_stylesheets_are_dropped_never_fetched_and_the_doctype_stays():
    inlined = inline_css(PAGE)  # 127.0.0.1:9 refuses connections: a fetch would fail the call
    assert "never-fetched.css" not in inlined
    assert inlined.startswith("<!DOCTYPE html>")


def test_the_preheader_is_the_bodys_hidden_first_element_escaped():
    html = with_preheader("<html><body class='x'><p>Hi</p></body></html>", "Sale <today> & tomorrow")
    body = html.split("<body class='x'>", 1)[1]
    assert body.startswith('<div style="display:none;')
    assert "Sale &lt;today&gt; &amp; tomorrow" in body
    assert body.index("Sale") < body.index("<p>Hi</p>")
    assert with_preheader("<p>Hi</p>", "Pre").startswith('<div style="display:none;')
    assert with_preheader("<p>Hi</p>", None) == "<p>Hi</p>"


def test_text_from_html_reads_blocks_lists_links_and_cells():
    html = """<html><head><style>p{color:red}</style><title>T</title></head><body>
      <h1>Welcome,   Ann!</h1>
      <p>Thanks for joining.<br>Here is   your <b>coupon</b>: SAVE10</p>
      <ul><li>Free delivery</li><li>Easy returns</li></ul>
      <table><tr><td>Runner</td><td>59.90 EUR</td></tr><tr><td>Trail</td><td>79.90 EUR</td></tr></table>
      <p><a href="https://shop.example/p-1">See the Runner</a> or <a href="https://shop.example">https://shop.example</a></p>
      <p><img src="logo.png" alt="Orbit Shop"> <a href="mailto:help@shop.example">help@shop.example</a></p>
      <script>alert(1)</script>
      <pre>  keep   this
  spacing</pre>
    </body></html>"""
    assert html_to_text(html) == (
        "Welcome, Ann!\n\n"
        "Thanks for joining.\nHere is your coupon: SAVE10\n\n"
        "- Free delivery\n- Easy returns\n\n"
        "Runner 59.90 EUR\nTrail 79.90 EUR\n\n"
        "See the Runner (https://shop.example/p-1) or https://shop.example\n\n"
        "Orbit Shop help@shop.example\n\n"
        "  keep   this\n  spacing"
    )


def test_entities_become_characters_in_the_text():
    assert html_to_text("<p>Tom &amp; Jerry&nbsp;&lt;3 &#8364;5</p>") == "Tom & Jerry <3 €5"  # nbsp: a space


def test_a_rendered_email_has_final_html_and_a_text_part_made_from_it():
    rendered = render(
        email(
            subject="Hi {{ contact.firstName }}",
            preheader="A gift inside",
            html="<html><head><style>p{margin:0}</style></head><body><p>Hi {{ contact.firstName }}</p></body></html>",
        ),
        {"contact": {"firstName": "Ann"}},
    ).content
    assert rendered["text"] == "Hi Ann"
    assert '<p style="margin: 0;">Hi Ann</p>' in rendered["html"]
    assert rendered["html"].index("A gift inside") < rendered["html"].index("Hi Ann")
    assert rendered["preheader"] == "A gift inside"


def test_a_given_text_part_is_rendered_not_replaced():
    rendered = render(email(text="Plain {{ contact.firstName }}"), {"contact": {"firstName": "Ann"}}).content
    assert rendered["text"] == "Plain Ann"


def test_a_text_only_email_has_no_html():
    rendered = render(email(html=None, text="Only text"), {}).content
    assert "html" not in rendered and rendered["text"] == "Only text"
