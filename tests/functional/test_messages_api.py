"""The messages API on moto through the Chalice test client: sending with ``externalRequestId`` idempotency, a
message's status and counters, the sandbox outbox (JSON and page), and the links recipients follow (open pixel,
click redirect, unsubscribe page and one-click), down to the contact's activity, consent and segments."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlsplit

from chalicelib.providers.senders import ChannelSenders
from chalicelib.services.segments.registry import REGISTRY
from chalicelib.settings import Settings
from tests.conftest import SECRET_KEY, basic

HTML = (
    "<html><head><style>.cta { color: #fff; background: #0b5fff }</style></head><body>"
    "<h1>Hi {{ contact.firstName }}</h1><p>Your code: {{ vars.code | default('none') }}</p>"
    '<p><a class="cta" href="https://shop.example/sale?src=mail&amp;x=1">Sale</a></p>'
    '<p><a href="[[unsubscribe_url]]">Unsubscribe</a></p></body></html>'
)
TEMPLATE = {
    "id": "welcome",
    "name": "Welcome",
    "channel": "email",
    "content": {"from": "Shop <shop@example.com>", "subject": "Welcome, {{ contact.firstName }}", "html": HTML},
}


def setup(api: Any, **contact: Any) -> None:
    body = contact or {"email": "ann@example.com", "firstName": "Ann"}
    assert api.call("PUT", "/v1/contacts/ann", body).status_code in (200, 201)
    status, created = api.json("POST", "/v1/templates", TEMPLATE)
    assert status == 201, created


def send(api: Any, **extra: Any) -> tuple[int, dict[str, Any]]:
    return api.json("POST", "/v1/messages/send", {"templateId": "welcome", "externalId": "ann", **extra})


def outbox(api: Any, query: str = "") -> list[dict[str, Any]]:
    status, body = api.json("GET", f"/v1/outbox{query}")
    assert status == 200, body
    return body["items"]


def tokens(entry: dict[str, Any]) -> dict[str, str]:
    """The paths of the email's links: the pixel (o), the tracked link (c), the unsubscribe link (u)."""
    found = {}
    for url in re.findall(r'(?:href|src)="([^"]+)"', entry["content"]["html"]):
        path = urlsplit(url.replace("&amp;", "&")).path
        for kind, prefix in (("o", "/t/o/"), ("c", "/t/c/"), ("u", "/u/")):
            if path.startswith(prefix):
                found[kind] = path
    return found


def activity(api: Any) -> list[dict[str, Any]]:
    api.drain()
    return api.json("GET", "/v1/contacts/ann/activity")[1]["events"]


def test_send_renders_delivers_to_the_outbox_and_is_idempotent_by_external_request_id(api):
    setup(api)
    status, first = send(api, externalRequestId="order-42-confirmation", data={"code": "4711"})
    assert status == 201, first
    assert (first["status"], first["channel"], first["provider"], first["repeated"]) == (
        "sent",
        "email",
        "sandbox",
        False,
    )
    assert first["externalId"] == "ann" and first["transactional"] is True
    assert first["counters"]["delivered"] == 1 and first["externalRequestId"] == "order-42-confirmation"
    status, again = send(api, externalRequestId="order-42-confirmation", data={"code": "0000"})
    assert status == 200 and again["repeated"] is True and again["id"] == first["id"]
    (entry,) = outbox(api)
    assert entry["messageId"] == first["id"] and entry["to"] == {"email": "ann@example.com"}
    assert entry["content"]["subject"] == "Welcome, Ann" and "Your code: 4711" in entry["content"]["html"]
    assert 'style="color: #fff' in entry["content"]["html"]  # CSS inlined
    # transactional: tracked, but no unsubscribe link or headers
    assert set(tokens(entry)) == {"o", "c"} and entry["headers"] == {}
    # without an externalRequestId every request sends
    assert send(api)[0] == 201 and send(api)[0] == 201
    assert len(outbox(api)) == 3
    sent = [e for e in activity(api) if e["type"] == "Message Sent"]
    assert len(sent) == 3 and first["id"] in {e["properties"]["messageId"] for e in sent}
    assert sent[0]["properties"]["channel"] == "email" and sent[0]["properties"]["templateId"] == "welcome"


def test_a_message_by_id_and_by_locator(api):
    setup(api)
    status, by_email = api.json("POST", "/v1/messages/send", {"templateId": "welcome", "email": "ANN@example.com"})
    assert status == 201 and by_email["externalId"] == "ann"
    status, shown = api.json("GET", f"/v1/messages/{by_email['id']}")
    assert status == 200 and shown["status"] == "sent" and shown["counters"]["opened"] == 0
    assert api.json("GET", "/v1/messages/msg_nope")[0] == 404
    assert api.json("POST", "/v1/messages/send", {"templateId": "welcome", "email": "nobody@example.com"})[0] == 404
    assert api.json("POST", "/v1/messages/send", {"templateId": "nope", "externalId": "ann"})[0] == 404
    status, both = api.json("POST", "/v1/messages/send", {"templateId": "welcome", "externalId": "ann", "phone": "+1"})
    assert status == 400 and both["error"]["code"] == "invalid_input"
    assert api.json("POST", "/v1/messages/send", {"templateId": "welcome", "externalId": "ann"}, key=None)[0] == 401


def test_links_point_at_the_api_the_request_came_in_on(api):
    setup(api)
    response = api.call(
        "POST",
        "/v1/messages/send",
        {"templateId": "welcome", "externalId": "ann"},
        headers={"Host": "crm.shop.example", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 201
    (entry,) = outbox(api)
    assert re.search(r'href="https://crm\.shop\.example/t/c/', entry["content"]["html"])


def test_a_failed_render_is_a_failed_message_with_its_reason(api):
    setup(api)
    broken = {**TEMPLATE, "id": "broken", "content": {**TEMPLATE["content"], "html": "<p>{{ vars.cart.total }}</p>"}}
    assert api.json("POST", "/v1/templates", broken)[0] == 201
    status, failed = api.json("POST", "/v1/messages/send", {"templateId": "broken", "externalId": "ann"})
    assert status == 201 and failed["status"] == "failed" and failed["failure"] == "template"
    assert failed["reason"].startswith("html: line 1")
    assert outbox(api) == []
    (event,) = [e for e in activity(api) if e["type"] == "Message Failed"]
    assert event["properties"]["failure"] == "template"


def test_the_pixel_counts_opens_and_the_click_redirects_to_the_signed_url_only(api):
    setup(api)
    message = send(api)[1]
    paths = tokens(outbox(api)[0])
    image = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}  # as browsers ask for images
    pixel = api.call("GET", paths["o"], key=None, headers=image)
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    assert pixel.body[:6] == b"GIF89a" and "no-store" in pixel.headers["Cache-Control"]
    api.call("GET", paths["o"], key=None, headers=image)
    click = api.call("GET", paths["c"], key=None)
    assert click.status_code == 302 and click.headers["Location"] == "https://shop.example/sale?src=mail&x=1"
    counters = api.json("GET", f"/v1/messages/{message['id']}")[1]["counters"]
    assert (counters["opened"], counters["clicked"]) == (2, 1)
    # a token that is not ours redirects nowhere; a made-up pixel still shows
    tampered = paths["c"][:-4] + ("AAAA" if not paths["c"].endswith("AAAA") else "BBBB")
    refused = api.call("GET", tampered, key=None)
    assert refused.status_code == 404 and "Location" not in refused.headers
    assert json.loads(refused.body)["error"]["code"] == "not_found"
    assert api.call("GET", "/t/o/made.up", key=None, headers=image).status_code == 200
    types = [e["type"] for e in activity(api)]
    assert types.count("Message Opened") == 1 and types.count("Message Clicked") == 1


def marketing(api: Any) -> dict[str, Any]:
    """A non-transactional send (as campaigns and workflows make), through the service."""
    from chalicelib.services.messaging.send import SendRequest, send

    request = SendRequest(
        contact_key="x#ann", template_id="welcome", origin="campaign:c-1", base_url="http://localhost"
    )
    result = send(api.stores, request)
    (entry,) = [e for e in outbox(api) if e["messageId"] == result.message.id]
    return entry


def test_unsubscribe_page_asks_then_the_button_unsubscribes(api):
    setup(api)
    entry = marketing(api)
    paths = tokens(entry)
    assert entry["headers"]["List-Unsubscribe"] == f"<http://localhost{paths['u']}>"
    page = api.call("GET", paths["u"], key=None)
    assert page.status_code == 200 and b"Stop receiving email messages?" in page.body
    assert b"default-src 'none'" in page.headers["Content-Security-Policy"].encode()
    record = api.stores.contacts.load("x#ann")
    assert record is not None and "consent" not in record.profile  # a GET (a link scanner) changes nothing
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    done = api.call("POST", paths["u"], key=None, raw="action=unsubscribe", headers=form)
    assert done.status_code == 200 and b"You are unsubscribed from email messages." in done.body
    record = api.stores.contacts.load("x#ann")
    assert record is not None and record.profile["consent"]["email"]["status"] == "unsubscribed"
    assert record.profile["consent"]["email"]["source"] == "link"
    again = api.call("POST", paths["u"], key=None, raw="action=resubscribe", headers=form)
    assert again.status_code == 200 and b"Stop receiving" in again.body
    record = api.stores.contacts.load("x#ann")
    assert record is not None and record.profile["consent"]["email"]["status"] == "subscribed"


def test_one_click_unsubscribe_from_a_mail_client(api):
    """RFC 8058: the client POSTs ``List-Unsubscribe=One-Click`` (url-encoded or multipart) to the header's URL."""
    setup(api)
    entry = marketing(api)
    url = entry["headers"]["List-Unsubscribe"].strip("<>")
    path = urlsplit(url).path
    boundary = "orbitboundary"
    multipart = (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--{boundary}--\r\n'
    )
    response = api.call(
        "POST", path, key=None, raw=multipart, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 200
    record = api.stores.contacts.load("x#ann")
    assert record is not None and record.profile["consent"]["email"]["source"] == "one-click"
    (event,) = [e for e in activity(api) if e["type"] == "Message Unsubscribed"]
    assert event["properties"] == {
        "channel": "email",
        "messageId": entry["messageId"],
        "templateId": "welcome",
        "via": "one-click",
    }
    # even a transactional message is not sent now
    status, refused = send(api)
    assert status == 201 and (refused["status"], refused["failure"]) == ("failed", "unsubscribed")
    # a bad token is a 404 page; a form that is not a form is a 415
    assert (
        api.call(
            "POST",
            "/u/made.up",
            key=None,
            raw="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 404
    )
    assert api.call("POST", path, key=None, raw="{}").status_code == 415


def test_segments_read_the_events_and_the_consent(api):
    setup(api)
    REGISTRY.invalidate()
    for segment_id, rule in (
        ("mailed", {"message": "sent", "channel": "email"}),
        ("clicked", {"message": "clicked", "channel": "email"}),
        ("unsubscribed", {"channel": "email", "status": "unsubscribed"}),
    ):
        status, body = api.json("POST", "/v1/segments", {"id": segment_id, "name": segment_id, "rule": rule})
        assert status == 201, body
    api.drain()
    entry = marketing(api)
    paths = tokens(entry)
    api.call("GET", paths["c"], key=None)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    api.call("POST", paths["u"], key=None, raw="List-Unsubscribe=One-Click", headers=form)
    api.drain()
    api.drain()
    card = api.json("GET", "/v1/contacts/ann")[1]
    assert sorted(s["id"] for s in card["segments"]) == ["clicked", "mailed", "unsubscribed"]


def test_the_outbox_filters_and_pages(api):
    setup(api)
    assert (
        api.call("PUT", "/v1/contacts/bob", {"email": "bob@example.com", "phone": "+380501234567"}).status_code == 201
    )
    sms = {"id": "code", "name": "code", "channel": "sms", "content": {"text": "Code {{ vars.code }}"}}
    assert api.json("POST", "/v1/templates", sms)[0] == 201
    send(api)
    api.json("POST", "/v1/messages/send", {"templateId": "code", "externalId": "bob", "data": {"code": "1"}})
    api.json("POST", "/v1/messages/send", {"templateId": "welcome", "externalId": "bob"})
    assert [e["channel"] for e in outbox(api)] == ["email", "sms", "email"]
    assert [e["externalId"] for e in outbox(api, "?externalId=bob")] == ["bob", "bob"]
    (only,) = outbox(api, "?channel=sms")
    assert only["to"] == {"phone": "+380501234567"} and only["content"] == {"text": "Code 1"}
    status, page = api.json("GET", "/v1/outbox?limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["cursor"]
    status, rest = api.json("GET", f"/v1/outbox?limit=2&cursor={page['cursor']}")
    assert [e["externalId"] for e in rest["items"]] == ["ann"] and rest["cursor"] is None
    assert api.json("GET", "/v1/outbox?cursor=nope")[0] == 400
    assert api.json("GET", "/v1/outbox?limit=0")[0] == 400


def test_the_outbox_exists_only_while_the_sandbox_sends(api):
    everywhere = ",".join(
        f"{c}=ses" for c in ("email", "sms", "mobilepush", "webpush", "appinbox", "viber", "telegram")
    )
    api.stores.senders = ChannelSenders(Settings(message_providers=everywhere), api.stores.messages, api.stores.clock)
    assert api.json("GET", "/v1/outbox")[0] == 404
    assert api.call("GET", "/outbox", headers=basic(SECRET_KEY)).status_code == 404


def test_the_outbox_page_asks_for_the_key_and_shows_the_email_in_a_sandboxed_frame(api):
    setup(api)
    message = send(api)[1]
    challenged = api.call("GET", "/outbox", key=None)
    assert challenged.status_code == 401 and challenged.headers["WWW-Authenticate"].startswith("Basic ")
    token = base64.b64encode(f"me:{SECRET_KEY}".encode()).decode()
    listing = api.call("GET", "/outbox", key=None, headers={"Authorization": f"Basic {token}"})
    assert listing.status_code == 200 and listing.headers["Content-Type"].startswith("text/html")
    body = listing.body.decode()
    assert f"data-message='{message['id']}'" in body and "Welcome, Ann" in body and "<iframe" not in body
    shown = api.call("GET", f"/outbox?message={message['id']}", key=None, headers={"Authorization": f"Basic {token}"})
    page = shown.body.decode()
    frame = re.search(r"<iframe[^>]*sandbox='([^']*)'[^>]*srcdoc='([^']*)'", page)
    assert frame is not None and "allow-scripts" not in frame.group(1) and "allow-same-origin" not in frame.group(1)
    assert "&lt;base target=&quot;_blank&quot;&gt;" in frame.group(2) and "Hi Ann" in frame.group(2)
    assert "script-src" not in shown.headers["Content-Security-Policy"]  # default-src 'none': no scripts at all
    assert (
        api.call(
            "GET", "/outbox", key=None, headers={"Authorization": "Basic " + base64.b64encode(b"x:bad").decode()}
        ).status_code
        == 401
    )
    assert json.loads(api.client.http.get("/openapi.json").body)["paths"]["/outbox"]["get"]["responses"]["401"]


def test_routes_are_documented_with_their_statuses(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    assert set(doc["paths"]["/v1/messages/send"]["post"]["responses"]) >= {"200", "201", "400", "401", "404"}
    assert "302" in doc["paths"]["/t/c/{token}"]["get"]["responses"]
    assert set(doc["paths"]["/u/{token}"]) == {"get", "post"}
