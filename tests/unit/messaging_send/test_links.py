"""Signed links: what verifies and what does not, expiry, rotation, and rewriting an email to carry them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from chalicelib.messaging.links import (
    CLICK,
    OPEN,
    UNSUBSCRIBE,
    UNSUBSCRIBE_MARKER,
    BadLink,
    LinkClaims,
    Signer,
    decorate_email,
    is_web_url,
    rewrite_links,
    url_for,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LATER = int(NOW.timestamp()) + 3600
CLICK_CLAIMS = LinkClaims(CLICK, "msg_1", "x#ann", "email", LATER, "https://shop.example/sale?x=1&y=2")


def test_a_signed_token_verifies_to_its_claims():
    signer = Signer(["s3cret"])
    token = signer.sign(CLICK_CLAIMS)
    assert signer.verify(token, CLICK) == CLICK_CLAIMS
    assert CLICK_CLAIMS.live(NOW)


def test_a_token_is_url_safe_and_compact():
    token = Signer(["s3cret"]).sign(LinkClaims(OPEN, "msg_01m8ee0vg04fm9x9ndmgqaf7ey", "x#ann", "email", LATER))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 120


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),  # another mac
        lambda t: t.replace(".", ""),  # no mac
        lambda t: "x" + t,  # another payload
        lambda t: t + ".x",
        lambda t: "",
        lambda t: "%%%.%%%",
    ],
)
def test_a_tampered_token_is_refused(tamper):
    token = Signer(["s3cret"]).sign(CLICK_CLAIMS)
    with pytest.raises(BadLink):
        Signer(["s3cret"]).verify(tamper(token), CLICK)


def test_a_payload_pointing_elsewhere_with_the_old_mac_is_refused():
    """The URL is under the mac: swapping it for another (an open redirect) fails."""
    token = Signer(["s3cret"]).sign(CLICK_CLAIMS)
    payload, mac = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[6] = "https://evil.example/"
    forged = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    with pytest.raises(BadLink):
        Signer(["s3cret"]).verify(f"{forged}.{mac}", CLICK)


def test_another_secret_refuses_and_a_rotated_one_still_verifies():
    old = Signer(["old-secret"]).sign(CLICK_CLAIMS)
    with pytest.raises(BadLink):
        Signer(["new-secret"]).verify(old, CLICK)
    assert Signer(["new-secret", "old-secret"]).verify(old, CLICK) == CLICK_CLAIMS


def test_a_token_of_one_kind_does_not_serve_another():
    signer = Signer(["s3cret"])
    opening = signer.sign(LinkClaims(OPEN, "msg_1", "x#ann", "email", LATER))
    with pytest.raises(BadLink):
        signer.verify(opening, UNSUBSCRIBE)
    with pytest.raises(BadLink):
        signer.verify(opening, CLICK)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example", "/relative", "ftp://x"])
def test_a_click_never_leads_anywhere_but_http(url):
    signer = Signer(["s3cret"])
    token = signer.sign(LinkClaims(CLICK, "msg_1", "x#ann", "email", LATER, url))
    with pytest.raises(BadLink):
        signer.verify(token, CLICK)
    assert not is_web_url(url)


def test_expiry_is_in_the_claims():
    claims = LinkClaims(UNSUBSCRIBE, "msg_1", "x#ann", "email", int(NOW.timestamp()) - 1)
    assert Signer(["s"]).verify(Signer(["s"]).sign(claims), UNSUBSCRIBE).live(NOW) is False


def test_a_signer_needs_a_secret():
    with pytest.raises(ValueError):
        Signer(["", ""])


def test_urls_for_each_kind():
    assert url_for("https://orbit.example/api/", OPEN, "a.b") == "https://orbit.example/api/t/o/a.b"
    assert url_for("https://orbit.example", CLICK, "a.b") == "https://orbit.example/t/c/a.b"
    assert url_for("http://127.0.0.1:8000", UNSUBSCRIBE, "a.b") == "http://127.0.0.1:8000/u/a.b"


# --- rewriting -------------------------------------------------------------------------------------------------


def test_web_links_are_rewritten_and_others_kept():
    markup = (
        '<a href="https://shop.example/a?x=1&amp;y=2">A</a>'
        "<a class='b' href='http://shop.example/b'>B</a>"
        "<a href=https://shop.example/c>C</a>"
        '<a href="mailto:help@shop.example">M</a><a href="tel:+380">T</a><a href="#top">top</a>'
        '<a data-orbit-notrack href="https://shop.example/raw">raw</a><a name="x">no href</a>'
    )
    seen: list[str] = []

    def click(url: str) -> str:
        seen.append(url)
        return f"https://t.example/c?u={len(seen)}&z=1"

    out = rewrite_links(markup, click)
    assert seen == ["https://shop.example/a?x=1&y=2", "http://shop.example/b", "https://shop.example/c"]
    assert '<a href="https://t.example/c?u=1&amp;z=1">A</a>' in out
    assert "<a class='b' href=\"https://t.example/c?u=2&amp;z=1\">B</a>" in out
    assert 'href="mailto:help@shop.example"' in out and 'href="tel:+380"' in out and 'href="#top"' in out
    assert 'href="https://shop.example/raw"' in out and '<a name="x">' in out


def test_an_email_gets_tracked_links_a_pixel_an_unsubscribe_footer_and_one_click_headers():
    content = {"subject": "Hi", "html": '<html><body><a href="https://shop.example/">Shop</a></body></html>'}
    content["text"] = "Shop: https://shop.example/"
    out, headers = decorate_email(
        content, lambda u: "https://o.example/t/c/T", "https://o.example/t/o/P", "https://o.example/u/U"
    )
    html = out["html"]
    assert html.index('href="https://o.example/t/c/T"') < html.index('href="https://o.example/u/U"')
    assert html.index('src="https://o.example/t/o/P"') < html.index("</body>")
    assert out["text"].endswith("Unsubscribe: https://o.example/u/U\n")
    assert headers == {
        "List-Unsubscribe": "<https://o.example/u/U>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert content["html"].count("o.example") == 0  # the given content is left as it was


def test_a_template_places_its_own_unsubscribe_link():
    content = {
        "html": f'<body><p><a href="{UNSUBSCRIBE_MARKER}">Leave</a></p></body>',
        "text": f"Leave: {UNSUBSCRIBE_MARKER}",
    }
    out, _ = decorate_email(content, lambda u: "C", None, "https://o.example/u/U?a=1&b=2")
    assert out["html"] == '<body><p><a href="https://o.example/u/U?a=1&amp;b=2">Leave</a></p></body>'
    assert out["text"] == "Leave: https://o.example/u/U?a=1&b=2"


def test_a_transactional_email_has_no_unsubscribe():
    content = {"html": f'<body><a href="{UNSUBSCRIBE_MARKER}">x</a></body>', "text": "t"}
    out, headers = decorate_email(content, lambda u: "C", "https://o.example/t/o/P", None)
    assert headers == {} and "/u/" not in out["html"] and out["text"] == "t"
    assert 'href=""' in out["html"]
