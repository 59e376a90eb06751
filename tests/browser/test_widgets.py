"""On-site widgets in headless Chromium on the demo shop: a subscription pop-up appears after its delay, its form
makes an unconfirmed subscription (the confirmation email is in the outbox), and once closed it stays away; an
in-app message greets the contact by first name. Widgets are removed after each test (the runtime is shared)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def visit(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_function("window.orbit && window.orbit.loaded === true")


STYLES = (
    "[document.body, document.querySelector('button')].map(e => getComputedStyle(e).cssText || "
    "getComputedStyle(e).font + getComputedStyle(e).color + getComputedStyle(e).background).join('|')"
)


def placed_on_revisit(page: Any, path: str) -> list[str]:
    """Open ``path`` again; the ids of the widgets its placements answer holds (the browser reports what it showed,
    and which forms it sent)."""
    with page.expect_response(lambda r: "/v1/placements" in r.url) as answer:
        visit(page, path)
    return [p["id"] for p in answer.value.json()["items"]]


def drawn(page: Any) -> None:
    """Wait until orbit-widgets.js has scheduled this page's widgets."""
    page.wait_for_function("window.orbit._w && window.orbit._w.scheduled === true")


@pytest.fixture
def widgets(server: Any) -> Iterator[list[str]]:
    """Ids of widgets the test made; deleted afterwards so other pages stay clean."""
    made: list[str] = []
    yield made
    for widget_id in made:
        server.request("DELETE", f"/v1/widgets/{widget_id}")


def make(server: Any, made: list[str], body: dict[str, Any]) -> str:
    status, answer = server.request("POST", "/v1/widgets", body)
    assert status == 201, answer
    made.append(answer["id"])
    return str(answer["id"])


def test_a_popup_appears_after_its_delay_subscribes_and_stays_closed(context, server, widgets, eventually):
    token = uuid.uuid4().hex[:8]
    confirmation = {  # the local runtime has no domain for the built-in one's sender
        "id": "double-opt-in-email",
        "name": "Confirm",
        "channel": "email",
        "content": {"from": "Shop <shop@example.com>", "subject": "Confirm", "text": "{{ vars.confirmUrl }}"},
    }
    assert server.request("POST", "/v1/templates", confirmation)[0] in (201, 409)
    widget_id = make(
        server,
        widgets,
        {
            "id": f"pop-{token}",
            "name": "Newsletter",
            "kind": "popup",
            "title": "Get 10% off",
            "text": "Subscribe to our newsletter",
            "form": {"fields": ["email"], "category": "news"},
            "rules": {"pathEquals": "/demo/category.html", "delaySeconds": 5, "everyDays": 30},
        },
    )
    host = f"[data-orbit-widget='{widget_id}']"
    page = context.new_page()
    now = datetime.now(UTC)
    page.clock.install(time=now)
    page.clock.pause_at(now + timedelta(seconds=1))
    visit(page, "/demo/category.html")
    before = page.evaluate(STYLES)
    drawn(page)
    assert page.locator(host).count() == 0, "not before its delay"
    page.clock.run_for(5_000)
    page.clock.resume()

    dialog = page.locator(f"{host} [role=dialog]")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    email_input = page.locator(f"{host} input[name=email]")
    assert email_input.evaluate("e => e.getRootNode().activeElement === e"), "focus moves into the dialog"
    assert page.evaluate(STYLES) == before, "the widget's styles stay in its shadow root"
    address = f"pop-{token}@example.com"
    email_input.fill(address)
    page.locator(f"{host} button[type=submit]").click()
    page.locator(f"{host} [role=status]").filter(has_text="please confirm").wait_for()

    def confirmation_sent() -> dict[str, Any]:
        items = [i for i in server.get("/v1/outbox")["items"] if i["to"].get("email") == address]
        assert items, "the confirmation email is in the outbox"
        return dict(items[0])

    item = eventually(confirmation_sent)
    email = server.get(f"/v1/contacts/{item['externalId']}/consent")["channels"]["email"]
    assert (email["status"], email["reason"]) == ("unsubscribed", "unconfirmed")

    page.keyboard.press("Escape")
    assert page.locator(host).count() == 0, "Esc closes it"
    assert widget_id not in placed_on_revisit(page, "/demo/category.html"), "a submitted form is not shown again"
    assert page.locator(host).count() == 0


def test_a_closed_popup_does_not_come_back(context, server, widgets):
    token = uuid.uuid4().hex[:8]
    widget_id = make(
        server,
        widgets,
        {
            "id": f"close-{token}",
            "name": "Closable",
            "kind": "popup",
            "title": "Stay in touch",
            "form": {"fields": ["email"]},
            "rules": {"pathEquals": "/demo/checkout.html", "everyDays": 7},
        },
    )
    host = f"[data-orbit-widget='{widget_id}']"
    page = context.new_page()
    visit(page, "/demo/checkout.html")
    page.locator(f"{host} button[aria-label=Close]").click()
    assert page.locator(host).count() == 0

    assert widget_id not in placed_on_revisit(page, "/demo/checkout.html")
    assert page.locator(host).count() == 0


def test_an_inapp_message_greets_the_contact_by_first_name(context, server, widgets, eventually):
    token = uuid.uuid4().hex[:8]
    template = {
        "id": f"hello-{token}",
        "name": "Hello",
        "channel": "inapp",
        "content": {"title": "Welcome back, {{ contact.firstName | default('friend') }}!", "position": "bottomRight"},
    }
    status, answer = server.request("POST", "/v1/templates", template)
    assert status == 201, answer
    widget_id = make(
        server,
        widgets,
        {"id": f"inapp-{token}", "name": "Hello", "kind": "inapp", "templateId": template["id"],
         "rules": {"pathEquals": "/demo/confirmation.html", "everyDays": 0}},
    )  # fmt: skip
    page = context.new_page()
    visit(page, "/demo/login.html")
    page.evaluate(f"orbit('identify', 'reader-{token}', {{firstName: 'Olena'}}); orbit.flush()")

    def known() -> None:
        assert server.get(f"/v1/contacts/reader-{token}")["firstName"] == "Olena"

    eventually(known)
    visit(page, "/demo/confirmation.html")
    page.locator(f"[data-orbit-widget='{widget_id}'] h2").filter(has_text="Welcome back, Olena!").wait_for()
    page.evaluate("orbit.flush()")

    def tracked() -> None:
        activity = server.get(f"/v1/contacts/reader-{token}/activity?limit=50")["events"]
        shown = [e for e in activity if e["type"] == "Widget Shown"]
        assert shown and shown[0]["properties"]["widget_id"] == widget_id

    eventually(tracked)


def test_an_exit_intent_popup_waits_for_the_pointer_to_leave(context, server, widgets):
    widget_id = make(
        server,
        widgets,
        {"id": f"exit-{uuid.uuid4().hex[:8]}", "name": "Exit", "kind": "popup", "title": "Before you go",
         "form": {"fields": ["email"]}, "rules": {"pathEquals": "/demo/cart.html", "exitIntent": True}},
    )  # fmt: skip
    page = context.new_page()
    visit(page, "/demo/cart.html")
    drawn(page)
    page.mouse.move(200, 200)
    page.mouse.move(200, 300)  # moving inside the page is no exit
    assert page.locator(f"[data-orbit-widget='{widget_id}']").count() == 0

    page.evaluate("document.dispatchEvent(new MouseEvent('mouseout', {clientY: -1, bubbles: true}))")
    page.locator(f"[data-orbit-widget='{widget_id}'] [role=dialog]").wait_for()
