"""Signed links in messages: the open pixel, click redirects and unsubscribe links, and rewriting an email so it
carries them.

A token is ``<payload>.<mac>``, both base64url without padding: the payload is compact JSON
``[1, kind, message id, contact key, channel, expiry (epoch seconds), url]`` and the mac the first 16 bytes of
HMAC-SHA256 over the payload's text under the stage's secret, compared in constant time. ``kind`` separates the
uses (``o`` open, ``c`` click, ``u`` unsubscribe), so a token minted for one cannot serve another. A click token
carries its destination: nobody without the secret can make Orbit redirect anywhere (no open redirect), and a
click needs no lookup to know where to go. Several secrets verify (the first signs), so a secret can be rotated
without breaking links already sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from chalicelib.errors import ErrorDetail, NotFound

Kind = Literal["o", "c", "u"]
OPEN: Kind = "o"
CLICK: Kind = "c"
UNSUBSCRIBE: Kind = "u"
VERSION = 1
MAC_BYTES = 16
# How long links keep working: opens and clicks count until then (a click after it still redirects, untracked),
# an unsubscribe link works for two years (far beyond the 30 days the law asks for).
TRACKING_DAYS = 400
UNSUBSCRIBE_DAYS = 730
MAX_TOKEN = 4096
PATHS: dict[Kind, str] = {OPEN: "/t/o/", CLICK: "/t/c/", UNSUBSCRIBE: "/u/"}


class BadLink(NotFound):
    """A token that is not one of ours (malformed, or its mac does not verify): no such link."""


@dataclass(frozen=True)
class LinkClaims:
    kind: Kind
    message_id: str
    contact_key: str
    channel: str
    expires: int  # epoch seconds
    url: str | None = None

    def live(self, now: datetime) -> bool:
        return now.timestamp() < self.expires


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def seal(key: bytes, fields: list[Any]) -> str:
    """The token ``<payload>.<mac>`` of ``fields`` (compact JSON) under ``key``."""
    payload = _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{payload}.{_b64(mac(key, payload))}"


def unseal(token: str, keys: Sequence[bytes], max_token: int) -> Any:
    """The JSON a token made by ``seal`` under one of ``keys`` carries; None when it is too long, malformed or
    made under another key (its mac compared in constant time)."""
    if len(token) > max_token or token.count(".") != 1:
        return None
    payload, mac_text = token.split(".")
    try:
        presented = _unb64(mac_text)
        fields = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not any(hmac.compare_digest(presented, mac(key, payload)) for key in keys):
        return None
    return fields


class Signer:
    """Signs with ``secrets[0]``; verifies with any of ``secrets``."""

    def __init__(self, secrets: Sequence[str]) -> None:
        usable = [s for s in secrets if s]
        if not usable:
            raise ValueError("a link signer needs a secret")
        self._keys = [s.encode("utf-8") for s in usable]

    def sign(self, claims: LinkClaims) -> str:
        fields: list[Any] = [VERSION, claims.kind, claims.message_id, claims.contact_key, claims.channel]
        fields.append(claims.expires)
        if claims.url is not None:
            fields.append(claims.url)
        return seal(self._keys[0], fields)

    def verify(self, token: str, kind: Kind) -> LinkClaims:
        """The claims of a token of ``kind`` signed by one of the secrets (expired or not: ``live`` says);
        BadLink otherwise."""
        bad = BadLink(
            "This link is not valid; it may have been copied incompletely",
            [ErrorDetail("token", "is not a link Orbit made")],
        )
        fields = unseal(token, self._keys, MAX_TOKEN)
        if (
            not isinstance(fields, list)
            or len(fields) not in (6, 7)
            or fields[0] != VERSION
            or fields[1] != kind
            or not all(isinstance(f, str) for f in fields[2:5])
            or not isinstance(fields[5], int)
        ):
            raise bad
        url = fields[6] if len(fields) == 7 else None
        if kind == CLICK and not (isinstance(url, str) and is_web_url(url)):
            raise bad
        return LinkClaims(kind, fields[2], fields[3], fields[4], fields[5], url)


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL: the only kind a click may redirect to (never ``javascript:``, ``data:`` ...)."""
    return re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) is not None and not any(c in url for c in "\r\n\t")


def url_for(base: str, kind: Kind, token: str) -> str:
    return f"{base.rstrip('/')}{PATHS[kind]}{quote(token, safe='.-_')}"


# --- rewriting an email --------------------------------------------------------------------------------------

_ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""(\bhref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_NO_TRACK = re.compile(r"""\bdata-orbit-notrack\b""", re.IGNORECASE)
UNSUBSCRIBE_MARKER = "[[unsubscribe_url]]"  # where a template puts its unsubscribe link (jinja leaves it alone)


def rewrite_links(markup: str, click: Callable[[str], str]) -> str:
    """``markup`` with every ``<a href>`` to an http(s) URL pointed at ``click(url)`` instead (``mailto:``,
    ``tel:``, anchors and links marked ``data-orbit-notrack`` stay as they are)."""

    def anchor(match: re.Match[str]) -> str:
        tag = match.group(0)
        if _NO_TRACK.search(tag):
            return tag

        def href(found: re.Match[str]) -> str:
            raw = next((g for g in found.groups()[1:] if g is not None), "")
            url = html.unescape(raw).strip()
            if not is_web_url(url):
                return found.group(0)
            return f'{found.group(1)}"{html.escape(click(url), quote=True)}"'

        return _HREF.sub(href, tag, count=1)

    return _ANCHOR.sub(anchor, markup)


def _before_body_end(markup: str, addition: str) -> str:
    at = markup.lower().rfind("</body>")
    return markup[:at] + addition + markup[at:] if at >= 0 else markup + addition


def decorate_email(
    content: dict[str, Any], click: Callable[[str], str], pixel: str | None, unsubscribe: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A rendered email made ready to send: tracked links and the open pixel in its HTML; the unsubscribe link
    where the template wrote ``[[unsubscribe_url]]`` (``<a href="[[unsubscribe_url]]">``), else as a footer line,
    in its HTML and text; and the headers that let mail clients unsubscribe in one click (RFC 8058). Returns the
    content and the headers. Without ``unsubscribe`` (a transactional message) the marker renders empty."""
    out = dict(content)
    headers: dict[str, str] = {}
    markup = out.get("html")
    text = out.get("text")
    if isinstance(markup, str) and markup:
        markup = rewrite_links(markup, click)
        placed = UNSUBSCRIBE_MARKER in markup
        markup = markup.replace(UNSUBSCRIBE_MARKER, html.escape(unsubscribe or "", quote=True))
        if unsubscribe is not None and not placed:
            markup = _before_body_end(
                markup,
                '<p style="font-size:12px;color:#888888;text-align:center">'
                f'<a href="{html.escape(unsubscribe, quote=True)}">Unsubscribe</a></p>',
            )
        if pixel is not None:
            markup = _before_body_end(
                markup,
                f'<img src="{html.escape(pixel, quote=True)}" width="1" height="1" alt="" '
                'style="display:block;border:0;width:1px;height:1px">',
            )
        out["html"] = markup
    if isinstance(text, str) and text:
        placed = UNSUBSCRIBE_MARKER in text
        text = text.replace(UNSUBSCRIBE_MARKER, unsubscribe or "")
        if unsubscribe is not None and not placed:
            text = f"{text.rstrip()}\n\nUnsubscribe: {unsubscribe}\n"
        out["text"] = text
    if unsubscribe is not None:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return out, headers
