"""Request filters over a precomputed list: stock, already bought, categories, attributes, excluded ids, limit.

A product the catalog does not know is dropped (there is nothing to show for it). A category matches a product
when it equals one of the names in its ``categoryPath`` or a leading part of the path written ``"A > B"``
(case-insensitive). An attribute matches when the product's value (any of them, for a list) equals the wanted
one as text; ``brand`` matches the product's brand unless the product has a ``brand`` attribute.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.catalog.models import Product
from chalicelib.recommendations.models import Scored

PATH_SEPARATOR = " > "


@dataclass(frozen=True)
class Filters:
    in_stock: bool = True
    exclude_purchased: bool = False
    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)  # must match
    exclude: tuple[str, ...] = ()  # product ids (e.g. those in the cart, the product viewed)
    limit: int = 6


def _in_category(product: Product, wanted: Collection[str]) -> bool:
    path = [c.casefold() for c in product.categoryPath]
    prefixes = {PATH_SEPARATOR.join(path[: n + 1]) for n in range(len(path))}
    return any(w.casefold() in prefixes or w.casefold() in path for w in wanted)


def _values(product: Product, name: str) -> list[str]:
    if name in product.attributes:
        value = product.attributes[name]
        return [str(v).casefold() for v in (value if isinstance(value, list) else [value])]
    if name == "brand" and product.brand:
        return [product.brand.casefold()]
    return []


def _text(value: object) -> str:
    return str(value).casefold()


def matches(product: Product, filters: Filters) -> bool:
    """Whether one catalog product passes every filter but ``exclude``, ``exclude_purchased`` and ``limit``."""
    if filters.in_stock and not product.inStock:
        return False
    if filters.include_categories and not _in_category(product, filters.include_categories):
        return False
    if filters.exclude_categories and _in_category(product, filters.exclude_categories):
        return False
    return all(_text(want) in _values(product, name) for name, want in filters.attributes.items())


def apply(
    items: Sequence[Scored], catalog: Mapping[str, Product], filters: Filters, purchased: Collection[str]
) -> list[Scored]:
    """The first ``filters.limit`` items that pass, in their order, each product once."""
    dropped = set(filters.exclude)
    if filters.exclude_purchased:
        dropped.update(purchased)
    out: list[Scored] = []
    for item in items:
        if len(out) >= filters.limit:
            break
        product = catalog.get(item.product_id)
        if product is None or item.product_id in dropped or not matches(product, filters):
            continue
        dropped.add(item.product_id)
        out.append(item)
    return out
