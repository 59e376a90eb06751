"""The products a journey is about, read off the event that started it (or resumed it): every line of a
``Cart Updated`` or ``Order Completed`` (``products[].product_id``, else ``sku``), or the one product of a
``Product Viewed`` or ``Reorder Due`` (``product_id``, else ``sku``); and the category of a ``Product List Viewed``
(``category``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.catalog.enrichment import item_id


def product_ids(properties: Mapping[str, Any]) -> list[str]:
    """The product ids the event's properties name, first seen first, without repeats."""
    lines = properties.get("products")
    found: list[str] = []
    if isinstance(lines, list):
        found = [pid for line in lines if isinstance(line, dict) and (pid := item_id(line))]
    else:
        single = item_id(dict(properties))
        found = [single] if single else []
    return list(dict.fromkeys(found))


def category_of(properties: Mapping[str, Any]) -> str | None:
    """The category the event is about (a category page viewed), or None."""
    category = properties.get("category")
    return category if isinstance(category, str) and category else None
