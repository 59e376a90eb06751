"""The outbox page in headless Chromium: a developer signs in with the secret key (HTTP Basic, as the browser
prompts), finds the email the sandbox "sent", sees it as its recipient would in a sandboxed frame, and its links
work against the local runtime: the open pixel counts, the tracked link redirects to its page, the unsubscribe
link's page unsubscribes the contact."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _setup(server: Any, runtime: Any) -> tuple[str, str]:
    token = uuid.uuid4().hex[:10]
    external_id, template_id = f"reader-{token}", f"news-{token}"
    status, body = server.request("PUT", f"/v1/contacts/{external_id}", {"email": f"{external_id}@example.com"})
    assert status == 201, body
    html = (
        "<html><head><style>h1 { color: #1d3557 }</style></head><body><h1>News for you</h1>"
        f'<p><a href="{runtime.url}/demo/">See the shop</a></p>'
        '<p><a href="[[unsubscribe_url]]">Unsubscribe</a></p></body></html>'
    )
    template = {
        "id": template_id,
        "name": "News",
        "channel": "email",
        "content": {"from": "Shop <shop@example.com>", "subject": "News {{ contact.externalId }}", "html": html},
    }
    status, body = server.request("POST", "/v1/templates", template)
    assert status == 201, body
    return external_id, template_id


def _newsletter(runtime: Any, external_id: str, template_id: str) -> str:
    """A marketing send (not transactional: it carries an unsubscribe link), as a campaign makes it."""
    from chalicelib import deps
    from chalicelib.services.messaging.send import SendRequest, send

    request = SendRequest(
        contact_key=f"x#{external_id}",
        template_id=template_id,
        origin=f"campaign:{uuid.uuid4().hex}",
        base_url=runtime.url,
    )
    sent = send(deps.ports(), request)
    assert sent.message.status == "sent", sent.message
    return sent.message.id


def test_the_outbox_shows_the_email_and_its_links_work_against_the_runtime(browser, runtime, server, eventually):
    external_id, template_id = _setup(server, runtime)
    message_id = _newsletter(runtime, external_id, template_id)
    # also one through the API (transactional), which lists beside it
    status, body = server.request("POST", "/v1/messages/send", {"templateId": template_id, "externalId": external_id})
    assert status == 201 and body["status"] == "sent", body

    asked = urllib.request.Request(f"{runtime.url}/outbox")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(asked, timeout=10)
    assert refused.value.code == 401  # the page asks for the key: the browser prompts for it
    assert refused.value.headers["WWW-Authenticate"].startswith("Basic ")
    context = browser.new_context(
        base_url=runtime.url, http_credentials={"username": "me", "password": runtime.api_key}
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"/outbox?contact={external_id}")
        items = page.locator("#messages a.item")
        assert items.count() == 2
        assert items.first.get_attribute("data-message") == body["id"]  # newest first
        page.locator(f"a[data-message='{message_id}']").click()
        page.wait_for_selector("#message iframe")
        assert page.locator("#message dd", has_text=f"News {external_id}").count() == 1
        assert page.locator("#message dd", has_text="List-Unsubscribe=One-Click").count() == 1
        frame = page.frame_locator("#message iframe")
        assert frame.locator("h1").inner_text() == "News for you"
        # showing it loaded its images: the open pixel counted
        eventually(lambda: _assert_counted(server, message_id, "opened"))

        with page.expect_popup() as opened:
            frame.locator("a", has_text="See the shop").click()
        shop = opened.value
        shop.wait_for_load_state()
        assert shop.url == f"{runtime.url}/demo/"  # redirected through /t/c/ to the signed address
        shop.close()
        eventually(lambda: _assert_counted(server, message_id, "clicked"))

        with page.expect_popup() as opened:
            frame.locator("a", has_text="Unsubscribe").click()
        leaving = opened.value
        leaving.wait_for_selector("#state:has-text('Stop receiving email messages?')")
        leaving.click("button[type=submit]")
        leaving.wait_for_selector("#state:has-text('You are unsubscribed from email messages.')")
        leaving.close()
        eventually(lambda: _assert_counted(server, message_id, "unsubscribed"))
    finally:
        context.close()

    def activity() -> None:
        events = server.get(f"/v1/contacts/{external_id}/activity")["events"]
        kinds = {e["type"] for e in events if e["properties"].get("messageId") == message_id}
        assert {"Message Sent", "Message Opened", "Message Clicked", "Message Unsubscribed"} <= kinds

    eventually(activity)
    # unsubscribed: the next email, even a transactional one, is not sent
    status, refused = server.request(
        "POST", "/v1/messages/send", {"templateId": template_id, "externalId": external_id}
    )
    assert status == 201 and (refused["status"], refused["failure"]) == ("failed", "unsubscribed")


def _assert_counted(server: Any, message_id: str, counter: str) -> None:
    shown = server.get(f"/v1/messages/{message_id}")
    assert shown["counters"][counter] >= 1, shown["counters"]
