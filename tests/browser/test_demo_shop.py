"""A visitor in headless Chromium clicks through the demo shop (tracked only through orbit.js); the contact card
seen through the server API shows what they did: merged anonymous history, enriched products, cart, orders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.browser


# --- page helpers ----------------------------------------------------------------------------------------------


def visit(page: Any, path: str) -> None:
    """Open a shop page and wait until orbit.js has loaded and replayed the loader's queue."""
    page.goto(path)
    page.wait_for_function("window.orbit && window.orbit.loaded === true")


def flush(page: Any) -> None:
    """Send what orbit.js has queued now (instead of waiting for its flush timer)."""
    page.evaluate("orbit.flush()")


def view_and_add(page: Any, product_id: str) -> None:
    visit(page, f"/demo/product.html?id={product_id}")
    page.click("#add-to-cart")
    page.wait_for_selector("#product-status:has-text('Added to cart')")
    flush(page)


def log_in(page: Any, external_id: str, email: str) -> None:
    visit(page, "/demo/login.html")
    page.fill("#login-id", external_id)
    page.fill("#login-email", email)
    page.click("#login-submit")
    page.wait_for_selector(f"#login-status:has-text('Signed in as {external_id}')")
    flush(page)


def new_visitor() -> tuple[str, str]:
    token = uuid.uuid4().hex[:10]
    return f"shopper-{token}", f"shopper-{token}@example.com"


def catalog(server: Any, product_id: str) -> dict[str, Any]:
    product: dict[str, Any] = server.get(f"/v1/products/{product_id}")
    return product


# --- tests -----------------------------------------------------------------------------------------------------


def test_anonymous_browsing_is_merged_into_the_buyer_with_enriched_products_and_order(context, server, eventually):
    page = context.new_page()
    visit(page, "/demo/")
    page.click("#consent-accept")
    anonymous_id = page.evaluate("orbit.anonymousId()")
    assert anonymous_id
    viewed = ["sku-1001", "sku-1004"]
    for product_id in viewed:
        view_and_add(page, product_id)

    external_id, email = new_visitor()
    logged_in_at = datetime.now(UTC)
    log_in(page, external_id, email)
    visit(page, "/demo/checkout.html")
    total = float(page.text_content("#checkout-total").strip().lstrip("$").replace(",", ""))
    page.click("#place-order")
    page.wait_for_url("**/confirmation.html?order=*")
    page.wait_for_function("window.orbit && window.orbit.loaded === true")
    flush(page)

    products = {p: catalog(server, p) for p in viewed}
    assert total == sum(float(p["price"]) for p in products.values())

    def card_is_complete() -> dict[str, Any]:
        card: dict[str, Any] = server.get(f"/v1/contacts/{external_id}")
        assert anonymous_id in card["anonymousIds"]
        aggs = card["aggregates"]
        assert aggs["orderCount"] == 1, aggs
        assert aggs["revenue"] == {"USD": f"{total:.2f}"}
        recent = {v["productId"]: v for v in aggs["recentlyViewed"]}
        for product_id, product in products.items():
            assert product_id in recent, recent
            assert recent[product_id]["name"] == product["name"]
            # the shop never sends a product url: only the catalog enrichment can have put it there
            assert recent[product_id]["url"] == product["url"]
        return card

    card = eventually(card_is_complete)
    assert card["email"] == email

    activity = server.get(f"/v1/contacts/{external_id}/activity?limit=200")["events"]
    anonymous_views = [
        e for e in activity if e["type"] == "Product Viewed" and datetime.fromisoformat(e["timestamp"]) < logged_in_at
    ]
    assert sorted(e["properties"]["product_id"] for e in anonymous_views) == sorted(viewed)
    assert any(e["type"] == "Order Completed" for e in activity)


def test_a_visitor_who_refuses_consent_sends_nothing(context, runtime, eventually):
    from chalicelib.contacts import keys
    from chalicelib.deps import ports

    batches: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: batches.append(request.url) if "/v1/batch" in request.url else None)
    # Hold page timers until the visitor has answered the banner, so orbit.js' 2 s flush timer for the
    # landing page view cannot win a race against the click.
    now = datetime.now(UTC)
    page.clock.install(time=now)
    page.clock.pause_at(now + timedelta(seconds=1))
    visit(page, "/demo/")
    anonymous_id = page.evaluate("orbit.anonymousId()")  # minted on landing, before the answer
    assert anonymous_id
    page.click("#consent-refuse")
    page.clock.resume()
    assert page.evaluate("orbit.anonymousId()") is None, "no identifier without consent"

    view_and_add(page, "sku-1005")
    view_and_add(page, "sku-1007")
    visit(page, "/demo/product.html?id=sku-1007")
    page.click("#add-to-wishlist")
    visit(page, "/demo/cart.html")
    page.click(".qty-inc[data-id='sku-1005']")
    flush(page)
    visit(page, "/demo/")  # the previous page's pagehide would beacon anything left
    flush(page)

    assert batches == [], "the page must not send any tracking request after refusing consent"
    assert runtime.wait_idle()

    def nothing_stored() -> None:
        key = keys.anonymous(anonymous_id)
        assert ports().contacts.load(key) is None
        events, _ = ports().events.activity(key, 10, None)
        assert events == []

    eventually(nothing_stored)


def test_the_card_shows_the_last_cart_with_names_and_prices(context, server, eventually):
    page = context.new_page()
    visit(page, "/demo/")
    page.click("#consent-accept")
    view_and_add(page, "sku-1002")
    view_and_add(page, "sku-1006")
    view_and_add(page, "sku-1008")
    visit(page, "/demo/cart.html")
    page.click(".qty-inc[data-id='sku-1002']")
    page.wait_for_selector(".cart-row[data-id='sku-1002'] .qty:has-text('2')")
    page.click(".remove-item[data-id='sku-1006']")
    page.wait_for_selector(".cart-row[data-id='sku-1006']", state="detached")
    flush(page)
    external_id, email = new_visitor()
    log_in(page, external_id, email)

    last_cart = page.evaluate("JSON.parse(localStorage.getItem('shop_cart'))")
    assert last_cart == [{"id": "sku-1002", "quantity": 2}, {"id": "sku-1008", "quantity": 1}]
    expected = []
    for line in last_cart:
        product = catalog(server, line["id"])
        expected.append(
            {
                "productId": line["id"],
                "quantity": line["quantity"],
                "name": product["name"],
                "price": float(product["price"]),
                "currency": "USD",
                "url": product["url"],  # from the catalog: the shop's cart events carry no url
            }
        )

    def cart_matches() -> None:
        cart = server.get(f"/v1/contacts/{external_id}")["aggregates"]["cart"]
        assert cart is not None
        assert cart["items"] == expected
        assert cart["currency"] == "USD"

    eventually(cart_matches)
