"""Recommendation blocks in headless Chromium on the demo shop: once the lists are rebuilt, a product page's "You may
also like" block (orbit('recommend')) draws cards; showing it and clicking a card are tracked in the contact's
activity, and the clicked product's view and order carry the block (attribution)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.browser

BLOCK = "product-also-like"
CARDS = "#also-like .orbit-rec-card"


@pytest.fixture
def rebuilt(runtime: Any) -> None:
    """The lists built from the demo catalog the runtime seeded (the hourly job, run now in this process, where
    the runtime's ports are), before each test: what other tests did in the runtime meanwhile is counted too."""
    from chalicelib import jobs

    jobs.recommendations()


def visit(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_function("window.orbit && window.orbit.loaded === true")


def logged_in_visitor(page: Any) -> str:
    """Accept the shop's consent banner and log in as a new customer; their External ID."""
    external_id = f"rec-{uuid.uuid4().hex[:10]}"
    visit(page, "/demo/login.html")
    page.click("#consent-accept")
    page.fill("#login-id", external_id)
    page.click("#login-submit")
    page.wait_for_selector(f"#login-status:has-text('Signed in as {external_id}')")
    return external_id


def activity(server: Any, external_id: str, name: str) -> list[dict[str, Any]]:
    events = server.get(f"/v1/contacts/{external_id}/activity?limit=200")["events"]
    return [e["properties"] for e in events if e["type"] == name]


def shown_cards(page: Any) -> list[str]:
    page.wait_for_selector(CARDS, timeout=30_000)  # the block fetches after the page loads; CI machines are busy
    return [str(i) for i in page.locator(CARDS).evaluate_all("cards => cards.map(c => c.dataset.productId)")]


def test_a_product_page_block_draws_similar_products_and_tracks_that_it_was_shown(context, server, rebuilt, eventually):
    page = context.new_page()
    external_id = logged_in_visitor(page)
    visit(page, "/demo/product.html?id=sku-1001")
    cards = shown_cards(page)
    assert "sku-1002" in cards, "a shoe in stock like the one viewed"
    assert "sku-1001" not in cards and "sku-1003" not in cards, "not the product itself, nor one out of stock"
    assert page.locator("#also-like h2").text_content() == "You may also like"
    first = page.locator(CARDS).first
    assert first.locator(".orbit-rec-name").text_content()
    assert first.locator(".orbit-rec-price").text_content().startswith("$")
    page.evaluate("orbit.flush()")

    def shown() -> dict[str, Any]:
        found = activity(server, external_id, "Recommendation Shown")
        assert found, "Recommendation Shown is in the contact's activity"
        return found[0]

    assert eventually(shown) == {"block": BLOCK, "model": "similar", "product_ids": cards}


def test_a_clicked_card_is_tracked_and_its_view_and_order_carry_the_block(context, server, rebuilt, eventually):
    page = context.new_page()
    external_id = logged_in_visitor(page)
    visit(page, "/demo/product.html?id=sku-1001")
    cards = shown_cards(page)
    clicked = cards[0]
    page.locator(CARDS).first.locator("a").click()
    page.wait_for_url(f"**/product.html?id={clicked}")
    page.wait_for_function("window.orbit && window.orbit.loaded === true")
    page.click("#add-to-cart")
    visit(page, "/demo/checkout.html")
    page.click("#place-order")
    page.wait_for_url("**/confirmation.html?order=*")
    page.wait_for_function("window.orbit && window.orbit.loaded === true")
    page.evaluate("orbit.flush()")

    def ordered() -> list[dict[str, Any]]:
        orders = activity(server, external_id, "Order Completed")
        assert orders, "the order is in the contact's activity"
        return orders

    attributed = {"recommendation_block": BLOCK, "recommendation_model": "similar"}
    [order] = eventually(ordered)
    assert [{k: p.get(k) for k in ("product_id", *attributed)} for p in order["products"]] == [
        {"product_id": clicked, **attributed}
    ]
    clicks = activity(server, external_id, "Recommendation Clicked")
    assert clicks == [{"block": BLOCK, "model": "similar", "product_id": clicked, "position": 1}]
    views = {p["product_id"]: p for p in activity(server, external_id, "Product Viewed")}
    assert {k: views[clicked].get(k) for k in attributed} == attributed
    assert "recommendation_block" not in views["sku-1001"], "only the clicked product's view"


def test_a_render_callback_draws_instead_and_reports_clicks(context, server, rebuilt, eventually):
    page = context.new_page()
    external_id = logged_in_visitor(page)
    visit(page, "/demo/index.html")
    page.evaluate(
        """orbit('recommend', { model: 'similar', productId: 'sku-1004', block: 'custom',
             render: (items, clicked) => { window.drawn = items.map((i) => i.id); clicked(items[1]); } })"""
    )
    drawn = page.wait_for_function("window.drawn").json_value()
    assert "sku-1005" in drawn and "sku-1004" not in drawn, "the bags like the one asked about"
    assert page.locator(".orbit-rec").count() == 0, "nothing drawn by the block itself"
    page.evaluate("orbit.flush()")

    def clicked() -> list[dict[str, Any]]:
        found = activity(server, external_id, "Recommendation Clicked")
        assert found, "Recommendation Clicked is in the contact's activity"
        return found

    assert eventually(clicked) == [{"block": "custom", "model": "similar", "product_id": drawn[1], "position": 2}]
    shown = activity(server, external_id, "Recommendation Shown")
    assert shown == [{"block": "custom", "model": "similar", "product_ids": drawn}]
