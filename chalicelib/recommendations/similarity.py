"""Content similarity of two catalog products: category path, brand, attributes and price band.

A product is compared only with products of its own top category (most of them share its leaf), so building
the lists costs the sum of the squared category sizes, not the square of the catalog.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from chalicelib.catalog.models import Product

CATEGORY_WEIGHT = 3.0
BRAND_WEIGHT = 1.0
ATTRIBUTES_WEIGHT = 1.0
PRICE_WEIGHT = 1.0
PRICE_BAND = 2.0  # prices this many times apart (or more) are in different bands: no price similarity
MAX_CANDIDATES = 2000  # a top category larger than this is compared within its leaf categories only


def top_category(product: Product) -> str | None:
    return product.categoryPath[0] if product.categoryPath else None


def _shared_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.casefold() != y.casefold():
            break
        n += 1
    return n


def _attribute_pairs(product: Product) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for key, value in product.attributes.items():
        for one in value if isinstance(value, list) else [value]:
            out.add((key, str(one).casefold()))
    return out


def price_closeness(a: Product, b: Product) -> float:
    """1 for equal prices, falling to 0 at ``PRICE_BAND`` times apart (on a log scale); 0 when either is free."""
    if a.price <= 0 or b.price <= 0:
        return 0.0
    ratio = abs(math.log(float(a.price) / float(b.price)))
    return max(0.0, 1.0 - ratio / math.log(PRICE_BAND))


def similarity(a: Product, b: Product) -> float:
    """0 for products in different top categories, else up to ``CATEGORY_WEIGHT + BRAND_WEIGHT +
    ATTRIBUTES_WEIGHT + PRICE_WEIGHT``: the share of the deeper category path they have in common, the same
    brand, the Jaccard index of their attribute values, and how close their prices are."""
    shared = _shared_prefix(a.categoryPath, b.categoryPath)
    if shared == 0:
        return 0.0
    score = CATEGORY_WEIGHT * shared / max(len(a.categoryPath), len(b.categoryPath))
    if a.brand and b.brand and a.brand.casefold() == b.brand.casefold():
        score += BRAND_WEIGHT
    mine, theirs = _attribute_pairs(a), _attribute_pairs(b)
    if mine or theirs:
        score += ATTRIBUTES_WEIGHT * len(mine & theirs) / len(mine | theirs)
    return score + PRICE_WEIGHT * price_closeness(a, b)


def _groups(catalog: Mapping[str, Product]) -> list[list[Product]]:
    by_top: dict[str, list[Product]] = defaultdict(list)
    for product in catalog.values():
        top = top_category(product)
        if top is not None:
            by_top[top.casefold()].append(product)
    groups: list[list[Product]] = []
    for members in by_top.values():
        if len(members) <= MAX_CANDIDATES:
            groups.append(members)
            continue
        by_leaf: dict[tuple[str, ...], list[Product]] = defaultdict(list)
        for product in members:
            by_leaf[tuple(c.casefold() for c in product.categoryPath)].append(product)
        groups.extend(by_leaf.values())
    return groups


def neighbours(
    catalog: Mapping[str, Product], per_key: int, *, in_stock_only: bool = False
) -> dict[str, list[tuple[str, float]]]:
    """For each product of a category, the ``per_key`` most similar other products (``in_stock_only``: only
    those in stock), best first; ties broken by product id."""
    out: dict[str, list[tuple[str, float]]] = {}
    for group in _groups(catalog):
        candidates = [p for p in group if p.inStock] if in_stock_only else group
        for product in group:
            scored = [
                (other.productId, similarity(product, other))
                for other in candidates
                if other.productId != product.productId
            ]
            scored = [s for s in scored if s[1] > 0]
            scored.sort(key=lambda s: (-s[1], s[0]))
            if scored:
                out[product.productId] = scored[:per_key]
    return out
