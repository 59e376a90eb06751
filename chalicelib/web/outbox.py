"""``GET /outbox``: the sandbox's messages as a page, like a mail catcher.

Every message the sandbox "sent", newest first, filterable by channel and contact; choosing one shows it as its
recipient gets it: an email's headers, its HTML in a sandboxed frame (no scripts, no access to this page; links
open in a new tab and work against this API: click tracking, the unsubscribe page) and its text part; any other
channel's fields. Showing an email loads its images, the open pixel among them, as a mail client would.

The page asks for the secret key with HTTP Basic authentication (any user name, the key as password), as
browsers prompt for it; it exists only while the sandbox sends on some channel of the stage.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.api.http import Call, api_route, error_response
from chalicelib.api.messages import outbox_entry, sandboxed, shown
from chalicelib.auth import keys as keyrules
from chalicelib.contacts import keys
from chalicelib.deps import ports
from chalicelib.errors import NotFound, OrbitError, Unauthorized
from chalicelib.messaging.outbound import CHANNELS, OutboxItem
from chalicelib.services.keys import find_key

bp = Blueprint(__name__)
PAGE_SIZE = 50
REALM = 'Basic realm="Orbit outbox", charset="UTF-8"'
CSP = (
    "default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src * data:; frame-src 'self';"
    " form-action 'self'"
)
_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1d2330; background: #f4f5f7; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #1d3557; color: #fff; }
header h1 { font-size: 1.05rem; margin: 0; }
header a { color: #cfe0ff; }
header form { display: flex; gap: .5rem; margin-left: auto; }
header input, header select, header button { font: inherit; padding: .2rem .4rem; }
main { display: grid; grid-template-columns: minmax(18rem, 26rem) 1fr; height: calc(100vh - 2.8rem); }
nav { overflow-y: auto; background: #fff; border-right: 1px solid #d9dce1; }
nav a.item { display: block; padding: .55rem .8rem; border-bottom: 1px solid #eceef1; color: inherit;
  text-decoration: none; }
nav a.item:hover { background: #f0f4ff; }
nav a.item.chosen { background: #e3ecff; }
.meta { display: flex; gap: .4rem; color: #5b6372; font-size: 12px; }
.channel { font-size: 11px; font-weight: 600; text-transform: uppercase; padding: 0 .35rem; border-radius: 3px;
  background: #e9ecf2; color: #33415c; }
.when { margin-left: auto; }
.subject { font-weight: 600; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.empty { padding: 2rem; color: #5b6372; }
section { overflow-y: auto; padding: 1rem 1.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 1rem; }
dt { color: #5b6372; }
dd { margin: 0; word-break: break-all; }
iframe { width: 100%; height: 70vh; border: 1px solid #d9dce1; background: #fff; }
pre { white-space: pre-wrap; background: #fff; border: 1px solid #d9dce1; padding: .8rem; }
.more { display: block; padding: .8rem; text-align: center; }
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _summary(item: OutboxItem) -> str:
    content = item.message.content
    for key in ("subject", "title", "text", "body"):
        value = content.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:140]
    return "(no text)"


def _recipient(item: OutboxItem) -> str:
    to = item.message.to
    return str(to.get("email") or to.get("phone") or to.get("value") or "")


def _link(**params: str | None) -> str:
    chosen = {k: v for k, v in params.items() if v}
    return "outbox" + ("?" + urlencode(chosen) if chosen else "")


def _listing(items: list[OutboxItem], chosen: str | None, channel: str | None, contact: str | None) -> str:
    if not items:
        return "<p class='empty'>Nothing sent yet. Messages sent on a sandbox channel show up here.</p>"
    rows = []
    for item in items:
        m = item.message
        external_id = keys.external_id(m.contact_key) or m.contact_key
        css = "item chosen" if m.message_id == chosen else "item"
        href = _link(channel=channel, contact=contact, message=m.message_id)
        when = item.sent_at[:19].replace("T", " ")
        rows.append(
            f"<a class='{css}' data-message='{_esc(m.message_id)}' href='{_esc(href)}'>"
            f"<div class='meta'><span class='channel'>{_esc(m.channel)}</span><span>{_esc(external_id)}</span>"
            f"<span>{_esc(_recipient(item))}</span><span class='when'>{_esc(when)} UTC</span></div>"
            f"<div class='subject'>{_esc(_summary(item))}</div></a>"
        )
    return "".join(rows)


def _framed(markup: str) -> str:
    """The email's HTML for the frame: links open in a new tab (the frame cannot navigate this page)."""
    base = '<base target="_blank">'
    lower = markup.lower()
    at = lower.find("<head>")
    if at >= 0:
        return markup[: at + 6] + base + markup[at + 6 :]
    return base + markup


def _details(item: OutboxItem) -> str:
    entry = outbox_entry(item)
    message = ports().messages.message(entry.messageId)
    status = shown(message) if message is not None else None
    rows: list[tuple[str, Any]] = [("Message", entry.messageId), ("Channel", entry.channel)]
    rows += [("Contact", entry.externalId), ("To", _recipient(item) or json.dumps(entry.to, ensure_ascii=False))]
    rows += [("Template", entry.templateId), ("Language", entry.language), ("Sent", entry.sentAt)]
    if status is not None:
        counted = ", ".join(f"{k} {v}" for k, v in status["counters"].items() if v) or "none yet"
        rows += [("Status", status["status"]), ("Counters", counted)]
    content = dict(entry.content)
    parts: list[str] = []
    if entry.channel == "email":
        rows += [
            ("From", content.get("from")),
            ("Reply-To", content.get("replyTo")),
            ("Subject", content.get("subject")),
        ]
        rows += [("Preheader", content.get("preheader"))]
        rows += [(name, value) for name, value in entry.headers.items()]
        if content.get("html"):
            parts.append(
                "<h3>HTML</h3><iframe title='Email' sandbox='allow-popups allow-popups-to-escape-sandbox'"
                f" referrerpolicy='no-referrer' srcdoc='{_esc(_framed(content['html']))}'></iframe>"
            )
        if content.get("text"):
            parts.append(f"<h3>Text</h3><pre id='text-part'>{_esc(content['text'])}</pre>")
    else:
        rows += [
            (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in content.items()
        ]
    listed = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows if v not in (None, ""))
    return f"<dl>{listed}</dl>{''.join(parts)}"


def _filters(channel: str | None, contact: str | None) -> str:
    labels = [("", "every channel"), *((c, c) for c in CHANNELS)]
    options = "".join(
        f"<option value='{c}'{' selected' if c == (channel or '') else ''}>{t}</option>" for c, t in labels
    )
    return (
        "<form method='get' action='outbox'>"
        f"<select name='channel' aria-label='Channel'>{options}</select>"
        f"<input name='contact' placeholder='External ID' aria-label='Contact' value='{_esc(contact)}'>"
        "<button type='submit'>Filter</button></form>"
    )


def render_page(call: Call) -> str:
    channel = call.query("channel") or None
    contact = call.query("contact") or None
    chosen = call.query("message") or None
    items, cursor = ports().messages.outbox(
        PAGE_SIZE, call.query("cursor"), channel=channel, contact_key=keys.known(contact) if contact else None
    )
    selected = next((i for i in items if i.message.message_id == chosen), None)
    if chosen and selected is None:
        selected = ports().messages.outbox_item(chosen)
    more = (
        f"<a class='more' href='{_esc(_link(channel=channel, contact=contact, cursor=cursor))}'>Older messages</a>"
        if cursor
        else ""
    )
    detail = (
        _details(selected) if selected else "<p class='empty'>Choose a message to see it as its recipient does.</p>"
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Outbox · Orbit</title>
<style>{_STYLE}</style>
</head>
<body>
<header><h1>Outbox</h1><span>what the sandbox sent</span><a href='outbox'>refresh</a>
{_filters(channel, contact)}</header>
<main>
<nav id="messages">{_listing(items, chosen, channel, contact)}{more}</nav>
<section id="message">{detail}</section>
</main>
</body>
</html>
"""


@api_route(
    bp,
    "/outbox",
    "GET",
    auth="none",
    tag="Web",
    raw_response="text/html",
    query={
        "channel": "Only this channel's messages",
        "contact": "Only this contact's (External ID)",
        "message": "The message to show",
        "cursor": "Older messages",
    },
    errors={
        401: "No valid secret key: HTTP Basic with the secret key as password (`unauthorized`)",
        404: "The sandbox sends on no channel of this stage (`not_found`)",
    },
    summary="The sandbox's messages as a page (a mail catcher); HTTP Basic, the secret key as password",
)
def outbox_page(call: Call) -> Response:
    presented = keyrules.credentials(call.request.headers.get("authorization"))
    try:
        keyrules.require(find_key(ports(), presented), "secret")
    except OrbitError as exc:  # a 401 that makes the browser ask for the key
        return error_response(Unauthorized(exc.message), {"WWW-Authenticate": REALM, "Cache-Control": "no-store"})
    if not sandboxed():
        raise NotFound("This stage sends through providers: it has no outbox")
    return Response(
        body=render_page(call),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
