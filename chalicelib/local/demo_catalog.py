"""Seed the demo shop's products into the catalog at ``make run``.

The demo shop keeps its catalog in ``chalicelib/web/demo/shop.js`` (``var CATALOG = [...]`` and
``var CATEGORIES = {...}``); this module reads those two literals from the script, so the shop and the catalog
cannot drift apart. The literals are plain JS object syntax (bare keys, single-quoted strings), which is
turned into JSON here; ``tests/functional/test_products.py`` checks every product still parses.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.ports import Ports
from chalicelib.services.catalog import upsert_product

log = logging.getLogger("orbit.local")
SHOP_JS = Path(__file__).resolve().parents[1] / "web" / "demo" / "shop.js"
CURRENCY = "USD"
# a single-quoted string | a double-quoted string | a bare object key
_TOKEN = re.compile(r"'((?:[^'\\]|\\.)*)'|(\"(?:[^\"\\]|\\.)*\")|([A-Za-z_$][\w$]*)(?=\s*:)")


def _js_literal(source: str, name: str, opener: str, closer: str) -> Any:
    """The value of ``var <name> = <literal>;`` in ``source`` (a flat JS object/array literal)."""
    match = re.search(rf"\bvar\s+{name}\s*=\s*({re.escape(opener)}.*?{re.escape(closer)})\s*;", source, re.S)
    if match is None:
        raise ValueError(f"shop.js has no `var {name} = {opener}...{closer};`")
    return json.loads(_TOKEN.sub(_to_json, match.group(1)))


def _to_json(match: re.Match[str]) -> str:
    single, double, key = match.group(1), match.group(2), match.group(3)
    if single is not None:
        return json.dumps(re.sub(r"\\(.)", r"\1", single))
    return double if double is not None else json.dumps(key)


def demo_products(base_url: str, source: str | None = None) -> list[Product]:
    """The demo shop's catalog as ``Product`` rows, with product page URLs under ``base_url``."""
    script = SHOP_JS.read_text(encoding="utf-8") if source is None else source
    categories: dict[str, str] = _js_literal(script, "CATEGORIES", "{", "}")
    catalog: list[dict[str, Any]] = _js_literal(script, "CATALOG", "[", "]")
    base = base_url.rstrip("/")
    return [
        Product(
            productId=item["id"],
            name=item["name"],
            url=f"{base}/demo/product.html?id={item['id']}",
            price=item["price"],
            currency=CURRENCY,
            categoryPath=[categories.get(item["category"], item["category"])],
            brand="Orbit Demo",
            inStock=bool(item.get("inStock", True)),
            attributes={"color": item["color"]} if item.get("color") else {},
        )
        for item in catalog
    ]


def seed_demo_catalog(ports: Ports, base_url: str) -> int:
    """Upsert the demo products (idempotent); returns how many there are."""
    products = demo_products(base_url)
    for product in products:
        upsert_product(ports, product.productId, product)
    log.info("demo catalog: %d products seeded", len(products))
    return len(products)
