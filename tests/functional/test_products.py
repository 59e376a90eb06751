"""Product catalog API over the Chalice test client and moto: upsert, history, feed imports, URL imports."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Product
from chalicelib.errors import Conflict
from chalicelib.local.demo_catalog import SHOP_JS, demo_products, seed_demo_catalog
from chalicelib.storage.items import METER
from chalicelib.storage.products import history_item

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
SNEAKER = {
    "name": "Trail Runner",
    "url": "https://shop.example.com/p/sku-1",
    "image": "https://cdn.example.com/sku-1.jpg",
    "price": "99.90",
    "currency": "EUR",
    "categoryPath": ["Shoes", "Running"],
    "brand": "Acme",
    "inStock": True,
    "attributes": {"color": "blue", "sizes": ["41", "42"], "weight": 0.3},
}


def history(api: Any, product_id: str) -> list[dict[str, Any]]:
    status, body = api.json("GET", f"/v1/products/{product_id}/history")
    assert status == 200, body
    changes: list[dict[str, Any]] = body["changes"]
    return changes


def upload(api: Any, content_type: str, feed: str | bytes, query: str = "") -> tuple[int, Any]:
    return api.json("POST", f"/v1/products/import{query}", raw=feed, headers={"Content-Type": content_type})


# --- PUT / GET / history ---------------------------------------------------------------------------------------


def test_put_creates_then_get_returns_product_with_price_history(api):
    status, body = api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    assert status == 201, body
    assert body["created"] is True
    assert body["productId"] == "SKU-1"
    assert [c["kind"] for c in body["changes"]] == ["created"]

    status, body = api.json("GET", "/v1/products/SKU-1")
    assert status == 200
    assert body["name"] == "Trail Runner"
    assert Decimal(body["price"]) == Decimal("99.90")
    assert body["attributes"] == SNEAKER["attributes"]
    assert [(p["price"], p["currency"]) for p in body["priceHistory"]] == [("99.90", "EUR")]


def test_price_drop_is_recorded_once_and_same_data_records_nothing(api, clock):
    api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    clock.advance(hours=1)
    status, body = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "price": 89.9, "oldPrice": "99.90"})
    assert status == 200 and body["created"] is False
    assert [c["kind"] for c in body["changes"]] == ["price_changed"]

    clock.advance(hours=1)
    before = METER.snapshot()["requests"].get("dynamodb.PutItem", 0)
    status, body = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "price": "89.90", "oldPrice": 99.9})
    assert status == 200 and body["changes"] == []
    assert METER.snapshot()["requests"].get("dynamodb.PutItem", 0) == before, "unchanged data must not be written"

    changes = history(api, "SKU-1")
    assert [c["kind"] for c in changes] == ["created", "price_changed"]
    drop = ProductChange.model_validate(changes[1])
    assert drop.is_drop and drop.oldPrice == Decimal("99.90") and drop.newPrice == Decimal("89.9")
    _, body = api.json("GET", "/v1/products/SKU-1")
    assert [Decimal(p["price"]) for p in body["priceHistory"]] == [Decimal("99.90"), Decimal("89.9")]


def test_stock_changes_are_history_but_other_fields_are_not(api, clock):
    api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    clock.advance(minutes=5)
    status, body = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "inStock": False})
    assert [c["kind"] for c in body["changes"]] == ["stock_changed"]
    clock.advance(minutes=5)
    status, body = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "inStock": True, "name": "Trail Runner 2"})
    assert status == 200
    assert [c["kind"] for c in body["changes"]] == ["stock_changed"]
    assert ProductChange.model_validate(body["changes"][0]).is_back_in_stock
    _, product = api.json("GET", "/v1/products/SKU-1")
    assert product["name"] == "Trail Runner 2"
    assert [c["kind"] for c in history(api, "SKU-1")] == ["created", "stock_changed", "stock_changed"]


def test_put_is_a_full_replace(api):
    api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    api.json("PUT", "/v1/products/SKU-1", {"name": "Trail Runner", "price": "99.90", "currency": "EUR"})
    _, body = api.json("GET", "/v1/products/SKU-1")
    assert body["brand"] is None and body["attributes"] == {} and body["categoryPath"] == []


def test_put_with_matching_product_id_in_body_is_accepted_and_a_mismatch_is_not(api):
    status, _ = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "productId": "SKU-1"})
    assert status == 201
    status, body = api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "productId": "SKU-2"})
    assert status == 400
    assert [d["path"] for d in body["error"]["details"]] == ["productId"]


def test_put_names_every_bad_field(api):
    bad = {"name": "", "price": -1, "currency": "euro", "url": "ftp://x", "nope": 1}
    status, body = api.json("PUT", "/v1/products/SKU-1", bad)
    assert status == 400
    assert body["error"]["code"] == "invalid_input"
    assert {d["path"] for d in body["error"]["details"]} == {"name", "price", "currency", "url", "nope"}
    assert api.json("GET", "/v1/products/SKU-1")[0] == 404


def test_unknown_product_is_404_and_keys_are_required(api):
    assert api.json("GET", "/v1/products/none")[0] == 404
    assert api.json("GET", "/v1/products/none/history")[0] == 404
    assert api.json("GET", "/v1/products/none", key=None)[0] == 401
    assert api.json("PUT", "/v1/products/SKU-1", SNEAKER, key="opk_test_site_key_0123456789")[0] in (401, 403)


def test_history_limit_keeps_the_newest(api, clock):
    api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    for price in ("90", "80", "70"):
        clock.advance(hours=1)
        api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "price": price})
    status, body = api.json("GET", "/v1/products/SKU-1/history?limit=2")
    assert status == 200
    assert [c["newPrice"] for c in body["changes"]] == ["80", "70"]
    assert api.json("GET", "/v1/products/SKU-1/history?limit=0")[0] == 400


def test_history_of_a_write_that_never_completed_is_not_shown(api, stores, clock):
    api.json("PUT", "/v1/products/SKU-1", SNEAKER)
    store = stores.catalog
    # a crash between writing version 2's history and version 2 itself leaves an orphan
    orphan = ProductChange(
        kind="price_changed",
        productId="SKU-1",
        at=clock.now() + timedelta(minutes=1),
        oldPrice=Decimal("99.90"),
        newPrice=Decimal("1"),
        oldCurrency="EUR",
        newCurrency="EUR",
    )
    stores.catalog.table.put(history_item(orphan, 2))
    assert [c["kind"] for c in history(api, "SKU-1")] == ["created"]
    # the retry writes version 2 for real: one price change, the retried one
    clock.advance(minutes=2)
    api.json("PUT", "/v1/products/SKU-1", {**SNEAKER, "price": "50"})
    changes = store.history("SKU-1")
    assert [(c.kind, c.newPrice) for c in changes] == [("created", Decimal("99.90")), ("price_changed", Decimal("50"))]


def test_a_stale_write_conflicts_and_leaves_no_history(stores, clock):
    from chalicelib.catalog.history import diff_product
    from chalicelib.services import catalog as service

    store = stores.catalog
    stale, _, _ = service.upsert_product(stores, "SKU-1", Product(productId="SKU-1", **SNEAKER))
    # another writer changes the price between our read (stale) and our write
    clock.advance(minutes=1)
    service.upsert_product(stores, "SKU-1", Product(productId="SKU-1", **{**SNEAKER, "price": "80"}))
    clock.advance(minutes=1)
    ours = Product(productId="SKU-1", **{**SNEAKER, "price": "70"})
    with pytest.raises(Conflict):
        store.save(ours, stale, diff_product(stale.product, ours, clock.now()), clock.now())
    assert [c.newPrice for c in store.history("SKU-1")] == [Decimal("99.90"), Decimal("80")]
    items = list(stores.catalog.table.query_all("pk = :p", {":p": "SKU-1"}))
    assert len(items) == 3, "the conflicting write's history item is removed again"
    # upsert_product retries such a conflict against the newer version: 80 -> 70 is what gets recorded
    service.upsert_product(stores, "SKU-1", ours)
    assert [(c.oldPrice, c.newPrice) for c in store.history("SKU-1")][-1] == (Decimal("80"), Decimal("70"))


# --- feed import by upload ---------------------------------------------------------------------------------------

JSONL = (
    '{"productId": "J-1", "name": "Cap", "price": 12, "currency": "USD"}\n'
    '{"productId": "J-2", "name": "Bad", "price": -1}\n'
    '{"productId": "J-3", "name": "Scarf", "price": "19.99", "currency": "USD", "inStock": false}\n'
)
CSV = (
    "id,title,price,availability\nC-1,Mug,9.50 USD,in stock\nC-2,Broken,cheap,in stock\nC-3,Plate,4 USD,out of stock\n"
)
XML = """<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>X-1</g:id><title>Lamp</title><g:price>30.00 EUR</g:price><g:availability>in stock</g:availability></item>
<item><g:id>X-2</g:id><title>Broken</title><g:price>free</g:price></item>
<item><g:id>X-3</g:id><title>Rug</title><g:price>120 EUR</g:price><g:product_type>Home &gt; Rugs</g:product_type></item>
</channel></rss>"""


@pytest.mark.parametrize(
    ("content_type", "feed", "good", "bad", "bad_row"),
    [
        ("application/x-ndjson", JSONL, ["J-1", "J-3"], "J-2", 2),
        ("application/jsonl", JSONL, ["J-1", "J-3"], "J-2", 2),
        ("text/csv", CSV, ["C-1", "C-3"], "C-2", 3),
        ("application/xml", XML, ["X-1", "X-3"], "X-2", 2),
        ("text/xml", XML, ["X-1", "X-3"], "X-2", 2),
        ("application/rss+xml; charset=utf-8", XML, ["X-1", "X-3"], "X-2", 2),
        ("application/octet-stream", CSV, ["C-1", "C-3"], "C-2", 3),
    ],
)
def test_upload_imports_good_rows_and_reports_the_bad_one(api, content_type, feed, good, bad, bad_row):
    status, body = upload(api, content_type, feed)
    assert status == 200, body
    assert body["imported"] == 2 and body["unchanged"] == 0
    assert [(e["row"], e["productId"]) for e in body["errors"]] == [(bad_row, bad)]
    assert body["errors"][0]["errors"][0]["path"] == "price"
    for product_id in good:
        status, product = api.json("GET", f"/v1/products/{product_id}")
        assert status == 200
        assert [c["kind"] for c in history(api, product_id)] == ["created"]
    assert api.json("GET", f"/v1/products/{bad}")[0] == 404


def test_reimport_is_unchanged_and_changes_are_history(api, clock):
    upload(api, "text/csv", CSV)
    status, body = upload(api, "text/csv", CSV)
    assert (body["imported"], body["unchanged"]) == (0, 2)
    clock.advance(days=1)
    changed = CSV.replace("9.50 USD", "7.50 USD").replace("C-3,Plate,4 USD,out of stock", "C-3,Plate,4 USD,in stock")
    status, body = upload(api, "text/csv", changed)
    assert (body["imported"], body["unchanged"]) == (2, 0)
    assert [c["kind"] for c in history(api, "C-1")] == ["created", "price_changed"]
    back = history(api, "C-3")
    assert [c["kind"] for c in back] == ["created", "stock_changed"]
    assert ProductChange.model_validate(back[1]).is_back_in_stock


def test_large_import_uses_batch_writes_and_keeps_history(api, clock):
    rows = "".join(f'{{"productId": "B-{i}", "name": "Item {i}", "price": {i + 1}}}\n' for i in range(130))
    METER.reset()
    status, body = upload(api, "application/x-ndjson", rows)
    assert status == 200 and body["imported"] == 130
    requests = METER.snapshot()["requests"]
    assert requests.get("dynamodb.PutItem", 0) == 0
    assert requests["dynamodb.BatchGetItem"] == 2  # 100 + 30 ids
    assert requests["dynamodb.BatchWriteItem"] == 12  # 130 history + 130 products, 25 per batch
    clock.advance(hours=1)
    cheaper = rows.replace('"price": 1}', '"price": 0.5}')
    _, body = upload(api, "application/x-ndjson", cheaper)
    assert (body["imported"], body["unchanged"]) == (1, 129)
    assert [c["kind"] for c in history(api, "B-0")] == ["created", "price_changed"]
    assert [c["kind"] for c in history(api, "B-1")] == ["created"]


def test_repeated_id_in_one_feed_last_row_wins(api):
    feed = '{"productId": "D-1", "name": "First", "price": 1}\n{"productId": "D-1", "name": "Last", "price": 2}\n'
    status, body = upload(api, "application/x-ndjson", feed)
    assert status == 200 and body["imported"] == 1
    assert api.json("GET", "/v1/products/D-1")[1]["name"] == "Last"


def test_format_query_overrides_detection(api):
    status, body = upload(api, "application/octet-stream", CSV, "?format=csv")
    assert status == 200 and body["imported"] == 2
    assert upload(api, "application/octet-stream", CSV, "?format=yaml")[0] == 400


def test_unreadable_uploads_are_400_and_unknown_types_415(api):
    status, body = upload(api, "application/xml", (FEEDS / "broken.xml").read_bytes())
    assert status == 400 and body["error"]["code"] == "invalid_input"
    assert upload(api, "application/xml", (FEEDS / "doctype.xml").read_bytes())[0] == 400
    assert upload(api, "text/csv", "")[0] == 400
    assert upload(api, "image/png", b"\x89PNG")[0] == 415


def test_fixture_feeds_import(api):
    status, body = upload(api, "application/rss+xml", (FEEDS / "google_rss.xml").read_bytes())
    assert status == 200
    assert body["imported"] == 2 and len(body["errors"]) == 2
    _, sku1 = api.json("GET", "/v1/products/SKU-1")
    assert (sku1["price"], sku1["oldPrice"], sku1["categoryPath"]) == ("89.90", "99.90", ["Shoes", "Running"])


# --- feed import by URL ------------------------------------------------------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[str]:
    """A local http.server serving the upload fixtures above by name."""
    files = {"/feed.csv": (CSV.encode(), "text/csv"), "/feed": (JSONL.encode(), "application/octet-stream")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/feed.csv")
                self.end_headers()
                return
            if self.path not in files:
                self.send_error(404)
                return
            body, ctype = files[self.path]
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_import_by_url_refuses_loopback_by_default(api, feed_server):
    status, body = api.json("POST", "/v1/products/import", {"url": f"{feed_server}/feed.csv"})
    assert status == 400
    assert body["error"]["details"][0]["path"] == "url"
    assert "127.0.0.1" in body["error"]["message"]
    assert "ORBIT_ALLOW_PRIVATE_WEBHOOKS" in body["error"]["message"]
    for url in ("http://localhost:1/feed.csv", "http://169.254.169.254/latest/meta-data", "http://[::1]:1/x"):
        assert api.json("POST", "/v1/products/import", {"url": url})[0] == 400, url


def test_import_by_url_rejects_other_schemes_and_bad_bodies(api):
    for url in ("file:///etc/passwd", "ftp://example.com/feed.csv", "not a url"):
        status, body = api.json("POST", "/v1/products/import", {"url": url})
        assert status == 400 and body["error"]["details"][0]["path"] == "url"
    status, body = api.json("POST", "/v1/products/import", {"url": "https://x.example/f.csv", "format": "yaml"})
    assert status == 400 and body["error"]["details"][0]["path"] == "format"
    status, body = api.json("POST", "/v1/products/import", {"link": "https://x.example/f.csv"})
    assert status == 400 and {d["path"] for d in body["error"]["details"]} == {"url", "link"}


def test_import_by_url_downloads_when_private_addresses_are_allowed(api, stores, feed_server, monkeypatch):
    monkeypatch.setattr(stores.settings, "allow_private_webhooks", True)
    status, body = api.json("POST", "/v1/products/import", {"url": f"{feed_server}/feed.csv"})
    assert status == 200, body
    assert body["imported"] == 2 and body["errors"][0]["productId"] == "C-2"
    # format from the redirect target's extension; an explicit format for a type that says nothing
    status, body = api.json("POST", "/v1/products/import", {"url": f"{feed_server}/moved"})
    assert status == 200 and body["unchanged"] == 2
    status, body = api.json("POST", "/v1/products/import", {"url": f"{feed_server}/feed", "format": "jsonl"})
    assert status == 200 and body["imported"] == 2
    status, body = api.json("POST", "/v1/products/import", {"url": f"{feed_server}/missing.csv"})
    assert status == 400 and "404" in body["error"]["message"]


def test_download_size_cap(feed_server):
    from chalicelib.errors import PayloadTooLarge
    from chalicelib.providers import feed_download as fetch

    assert fetch.download(f"{feed_server}/feed.csv", allow_private=True).body == CSV.encode()
    with pytest.raises(PayloadTooLarge):
        fetch.download(f"{feed_server}/feed.csv", allow_private=True, max_bytes=10)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_is_public(address, public):
    from chalicelib.providers.feed_download import is_public

    assert is_public(address) is public


# --- demo catalog and OpenAPI ---------------------------------------------------------------------------------


def test_demo_catalog_matches_shop_js_and_seeds_idempotently(api, stores):
    products = demo_products("http://127.0.0.1:8000")
    script = SHOP_JS.read_text()
    assert len(products) >= 8
    for product in products:
        assert f"id: '{product.productId}'" in script and product.name in script
        assert product.url == f"http://127.0.0.1:8000/demo/product.html?id={product.productId}"
    assert seed_demo_catalog(stores, "http://127.0.0.1:8000") == len(products)
    seed_demo_catalog(stores, "http://127.0.0.1:8000")
    _, body = api.json("GET", f"/v1/products/{products[0].productId}")
    assert body["name"] == products[0].name and body["currency"] == "USD"
    assert [c["kind"] for c in history(api, products[0].productId)] == ["created"]


def test_catalog_routes_are_in_openapi(api):
    status, doc = api.json("GET", "/openapi.json")
    assert status == 200
    paths = doc["paths"]
    assert set(paths["/v1/products/{productId}"]) == {"get", "put"}
    assert "get" in paths["/v1/products/{productId}/history"]
    content = paths["/v1/products/import"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv", "application/x-ndjson", "application/xml"} <= set(content)
