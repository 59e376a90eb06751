"""Product feed parsing: JSON lines, CSV/TSV and Google Merchant XML, with per-row errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.catalog.feeds import FeedResult, detect_delimiter, detect_format, parse_feed
from chalicelib.catalog.models import FEED_PRICE_RULE, Product, parse_price
from chalicelib.errors import InvalidInput

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def feed(name: str, fmt: str) -> FeedResult:
    return parse_feed((FEEDS / name).read_bytes(), fmt)  # type: ignore[arg-type]


def by_id(result: FeedResult) -> dict[str, Product]:
    return {p.productId: p for p in result.products}


def row_errors(result: FeedResult) -> dict[int, list[str]]:
    return {e.row: [err["path"] for err in e.errors] for e in result.errors}


# --- JSON lines --------------------------------------------------------------------------------------------


def test_jsonl_good_rows_become_products() -> None:
    products = by_id(feed("products.jsonl", "jsonl"))
    assert sorted(products) == ["SKU-1", "SKU-2", "SKU-6"]
    first = products["SKU-1"]
    assert (first.price, first.oldPrice, first.currency) == (Decimal("89.9"), Decimal("99.90"), "EUR")
    assert first.categoryPath == ["Shoes", "Running"]
    assert first.attributes == {"color": "blue", "sizes": ["41", "42"], "weight": 0.3}


def test_jsonl_bad_rows_are_reported_by_line_number() -> None:
    result = feed("products.jsonl", "jsonl")
    assert row_errors(result) == {4: ["$"], 5: ["name", "price"], 6: ["$"], 7: ["url", "colour"]}
    assert [e.productId for e in result.errors] == [None, "SKU-4", None, "SKU-5"]


def test_jsonl_currency_is_upper_cased() -> None:
    assert by_id(feed("products.jsonl", "jsonl"))["SKU-6"].currency == "EUR"


# --- CSV ---------------------------------------------------------------------------------------------------


def test_csv_sale_price_becomes_price_and_price_becomes_old_price() -> None:
    product = by_id(feed("products.csv", "csv"))["SKU-1"]
    assert (product.price, product.oldPrice, product.currency) == (Decimal("89.90"), Decimal("99.90"), "EUR")


def test_csv_maps_google_columns_and_keeps_others_as_attributes() -> None:
    product = by_id(feed("products.csv", "csv"))["SKU-2"]
    assert product.name == "Socks, pack of 3"
    assert (product.currency, product.inStock, product.categoryPath) == ("USD", False, ["Apparel", "Socks"])
    assert product.attributes == {"color": "white"}


def test_csv_price_with_space_thousands_and_decimal_comma() -> None:
    product = by_id(feed("products.csv", "csv"))["SKU-6"]
    assert (product.price, product.currency, product.inStock) == (Decimal("1234.50"), "UAH", True)


def test_csv_bad_rows_are_reported_by_spreadsheet_row_while_good_rows_survive() -> None:
    result = feed("products.csv", "csv")
    assert sorted(by_id(result)) == ["SKU-1", "SKU-2", "SKU-6"]
    assert row_errors(result) == {4: ["price"], 6: ["inStock"], 7: ["productId"], 8: ["$"]}


def test_tsv_is_read_with_tab_delimiter() -> None:
    [product] = feed("products.tsv", "csv").products
    assert (product.productId, product.price, product.currency) == ("T-1", Decimal("5.00"), "GBP")
    assert product.attributes == {"custom_label_0": "summer"}


def test_csv_without_id_column_is_unreadable() -> None:
    with pytest.raises(InvalidInput, match="no id column"):
        parse_feed("title,price\nA,1\n", "csv")


def test_feed_that_is_not_utf8_is_unreadable() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        feed("latin1.csv", "csv")


def test_feed_over_50000_rows_is_rejected() -> None:
    rows = "".join(f'{{"productId": "P{i}", "name": "n", "price": 1}}\n' for i in range(50_001))
    with pytest.raises(InvalidInput, match="more than 50000 rows"):
        parse_feed(rows, "jsonl")


# --- XML ---------------------------------------------------------------------------------------------------


def test_google_rss_items_become_products() -> None:
    product = by_id(feed("google_rss.xml", "xml"))["SKU-1"]
    assert (product.name, product.url, product.image) == (
        "Trail Runner",
        "https://shop.example.com/p/sku-1",
        "https://cdn.example.com/sku-1.jpg",
    )
    assert (product.price, product.oldPrice, product.currency) == (Decimal("89.90"), Decimal("99.90"), "EUR")
    assert (product.brand, product.categoryPath, product.inStock) == ("Acme", ["Shoes", "Running"], True)


def test_google_rss_other_elements_become_attributes() -> None:
    product = by_id(feed("google_rss.xml", "xml"))["SKU-1"]
    assert product.attributes == {
        "color": "blue",
        "additional_image_link": [
            "https://cdn.example.com/sku-1-b.jpg",
            "https://cdn.example.com/sku-1-c.jpg",
        ],
        "description": "Light trail shoe",
        "season": "summer",
    }


def test_google_rss_uses_g_title_link_and_google_category() -> None:
    product = by_id(feed("google_rss.xml", "xml"))["SKU-2"]
    assert (product.name, product.url, product.inStock) == (
        "Socks",
        "https://shop.example.com/p/sku-2",
        False,
    )
    assert product.categoryPath == ["Apparel & Accessories", "Clothing", "Socks"]


def test_google_rss_bad_items_are_reported_by_item_number() -> None:
    result = feed("google_rss.xml", "xml")
    assert row_errors(result) == {3: ["productId"], 4: ["price"]}


def test_atom_entries_become_products_with_link_href() -> None:
    result = feed("google_atom.xml", "xml")
    [product] = result.products
    assert (product.productId, product.name, product.url) == (
        "SKU-1",
        "Trail Runner",
        "https://shop.example.com/p/sku-1",
    )
    assert row_errors(result) == {2: ["inStock"]}


def test_broken_xml_is_unreadable() -> None:
    with pytest.raises(InvalidInput, match="not well-formed"):
        feed("broken.xml", "xml")


def test_xml_with_doctype_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="DOCTYPE"):
        feed("doctype.xml", "xml")


def test_xml_that_is_not_a_product_feed_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="Google Merchant RSS"):
        parse_feed("<html><body/></html>", "xml")


# --- prices and formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19.99", (Decimal("19.99"), None)),
        ("19.99 USD", (Decimal("19.99"), "USD")),
        ("754USD", (Decimal("754"), "USD")),
        ("EUR 5", (Decimal("5"), "EUR")),
        ("1 234,5 uah", (Decimal("1234.5"), "UAH")),
    ],
)
def test_parse_price_reads_amount_and_currency(text: str, expected: tuple[Decimal, str | None]) -> None:
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["", "free", "-1", "1.2.3", "USD 5 EUR", "5 dollars"])
def test_parse_price_rejects_non_prices(text: str) -> None:
    with pytest.raises(ValueError):
        parse_price(text)


@pytest.mark.parametrize(
    ("content_type", "name", "head", "expected"),
    [
        ("application/x-ndjson", None, b"", "jsonl"),
        ("text/csv; charset=utf-8", None, b"", "csv"),
        ("application/rss+xml", None, b"", "xml"),
        ("application/octet-stream", "https://x.test/feed.xml?token=1", b"", "xml"),
        (None, "products.TSV", b"", "csv"),
        (None, None, b"\xef\xbb\xbf<?xml version='1.0'?>", "xml"),
        ("text/plain", None, b'{"productId": "1"}\n', "jsonl"),
        (None, None, b"id;title;price\n", "csv"),
    ],
)
def test_detect_format(content_type: str | None, name: str | None, head: bytes, expected: str) -> None:
    assert detect_format(content_type, name, head) == expected


def test_detect_format_gives_up_on_unknown_content() -> None:
    with pytest.raises(InvalidInput, match="Cannot tell the feed format"):
        detect_format(None, None, b"hello")


@pytest.mark.parametrize("text", ["-1", "10 dollars"])
def test_parse_price_names_the_one_price_rule(text: str) -> None:
    with pytest.raises(ValueError, match=r"^must be an amount of 0 or more like 19\.99, optionally"):
        parse_price(text)
    assert FEED_PRICE_RULE.startswith("must be an amount of 0 or more like 19.99")


def test_a_feed_row_with_a_negative_price_gets_the_price_rule() -> None:
    result = parse_feed("id,title,price\nA-1,Shoe,-5\n", "csv")
    assert result.errors[0].errors == [{"path": "price", "message": FEED_PRICE_RULE}]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("id,title", ","), ("id;title;price", ";"), ("id\ttitle", "\t"), ("id|title", "|"), ("externalId", ",")],
)
def test_detect_delimiter_picks_the_separator_the_header_uses_most(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected
