"""Products table adapter: the current product and its price/stock history, one partition per product.

Items (``pk`` = product id):

* ``sk = "current"``: ``{"ver": version, "product": <Product as JSON: money as decimal strings>, "createdAt",
  "updatedAt"}``. ``ver`` counts the writes and guards single upserts (optimistic concurrency).
* ``sk = "h#<iso time>#<kind>#v<version>"``: one ``ProductChange`` from ``diff_product`` (``kind`` is
  ``created``, ``price_changed`` or ``stock_changed``), with ``ver`` = the product version it belongs to and a
  TTL attribute ``x`` (epoch seconds, ``HISTORY_DAYS`` after the change).

A single upsert writes the product and its history items in one transaction (guarded by the version), so a
lost race or a crash leaves no history behind. A feed import (``save_many``) writes history items *before* the
products with batch writes, to stay cheap: a history item whose version is newer than the stored product is a
write that never completed and is not shown; a retried import produces the same (version, kind) again, and the
newest copy wins. (An import that crashed between the two writes and is never retried can leave items that a
later save of the same version would surface; retry failed imports.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Product, StoredProduct
from chalicelib.clock import iso
from chalicelib.errors import bad_cursor
from chalicelib.storage.dynamo import Table, checked_start, collect_page
from chalicelib.storage.items import Item, item_size, serialize

CURRENT = "current"
HISTORY = "h#"
HISTORY_DAYS = 400


def product_item(product: Product, version: int, created_at: str, updated_at: str) -> Item:
    return {
        "pk": product.productId,
        "sk": CURRENT,
        "ver": version,
        "product": product.model_dump(mode="json", exclude_none=True),
        "createdAt": created_at,
        "updatedAt": updated_at,
    }


def history_item(change: ProductChange, version: int) -> Item:
    expires = change.at + timedelta(days=HISTORY_DAYS)
    return {
        "pk": change.productId,
        "sk": f"{HISTORY}{iso(change.at)}#{change.kind}#v{version}",
        "ver": version,
        "change": change.model_dump(mode="json", exclude_none=True),
        "x": int(expires.timestamp()),
    }


def _stored(item: Item) -> StoredProduct:
    return StoredProduct(
        product=Product.model_validate(item["product"]),
        version=int(item["ver"]),
        created_at=str(item.get("createdAt", "")),
        updated_at=str(item.get("updatedAt", "")),
        size=item_size(serialize(item)),
    )


class DynamoProductStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads ---------------------------------------------------------------------------------------------

    def get(self, product_id: str) -> StoredProduct | None:
        item = self.table.get({"pk": product_id, "sk": CURRENT})
        return _stored(item) if item else None

    def get_many(self, product_ids: Iterable[str]) -> dict[str, StoredProduct]:
        """The stored products among ``product_ids`` (missing ones are left out); one BatchGetItem per 100."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return {}
        items = self.table.batch_get([{"pk": i, "sk": CURRENT} for i in ids])
        return {str(item["pk"]): _stored(item) for item in items}

    def history(self, product_id: str, version: int | None = None, limit: int | None = None) -> list[ProductChange]:
        """Committed changes, oldest first (the newest ``limit`` of them when given).

        ``version`` is the stored product's; changes written for a newer version did not happen. Without
        it, it is read.
        """
        if version is None:
            current = self.get(product_id)
            if current is None:
                return []
            version = current.version
        items = self.table.query_all(
            "pk = :p AND begins_with(sk, :h)", {":p": product_id, ":h": HISTORY}, forward=False
        )
        newest: dict[tuple[int, str], Item] = {}
        for item in items:
            key = (int(item["ver"]), str(item["change"]["kind"]))
            if key[0] <= version and key not in newest:  # newest first: the first copy is the newest
                newest[key] = item
            if limit is not None and len(newest) >= limit:
                break
        changes = [(ProductChange.model_validate(i["change"]), v) for (v, _), i in newest.items()]
        changes.sort(key=lambda pair: (pair[0].at, pair[1]))
        return [change for change, _ in changes]

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        category: str | None = None,
        in_stock: bool | None = None,
    ) -> tuple[list[StoredProduct], dict[str, Any] | None]:
        """A Scan with a FilterExpression on the current items (history items are read and dropped)."""
        start = checked_start(start, ("pk", "sk"))
        if start is not None and start["sk"] != CURRENT:
            raise bad_cursor()
        parts = ["sk = :current"]
        values: dict[str, Any] = {":current": CURRENT}
        names: dict[str, str] = {}
        if category is not None:
            parts.append("contains(#product.categoryPath, :category)")
            names["#product"], values[":category"] = "product", category
        if in_stock is not None:
            # a product stored without ``inStock`` is in stock (the model's default)
            names["#product"] = "product"
            values[":inStock"] = in_stock
            parts.append(
                "#product.inStock = :inStock"
                if not in_stock
                else "(#product.inStock = :inStock OR attribute_not_exists(#product.inStock))"
            )
        condition = " AND ".join(parts)

        def fetch(after: Item | None, read: int) -> tuple[list[Item], Item | None]:
            return self.table.scan_page(read, after, condition, values, names or None)

        items, last = collect_page(fetch, limit, start, lambda i: {"pk": i["pk"], "sk": i["sk"]})
        return [_stored(i) for i in items], last

    # --- writes --------------------------------------------------------------------------------------------

    def save(
        self, product: Product, old: StoredProduct | None, changes: list[ProductChange], now: datetime
    ) -> StoredProduct:
        """Write the product and its history in one transaction, if the stored version is still ``old``'s
        (else Conflict, and nothing is written: no history of a write that lost a race or crashed)."""
        version = old.version + 1 if old else 1
        created = old.created_at if old else iso(now)
        item = product_item(product, version, created, iso(now))
        history = [history_item(c, version) for c in changes]
        if old is None:
            guarded: tuple[Item, str | None, dict[str, Any] | None] = (item, "attribute_not_exists(pk)", None)
        else:
            guarded = (item, "ver = :v", {":v": old.version})
        if history:
            self.table.transact_put([guarded, *((h, None, None) for h in history)])
        elif old is None:
            self.table.put(item, "attribute_not_exists(pk)")
        else:
            self.table.replace(item, old.size, "ver = :v", {":v": old.version})
        return _stored(item)

    def save_many(self, rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]], now: datetime) -> None:
        """Bulk write (feed imports): all history items first, then the products, with BatchWriteItem.

        Unconditional: the last writer wins against a concurrent single upsert of the same product.
        """
        history: list[Item] = []
        products: list[Item] = []
        for product, old, changes in rows:
            version = old.version + 1 if old else 1
            history += [history_item(c, version) for c in changes]
            products.append(product_item(product, version, old.created_at if old else iso(now), iso(now)))
        if history:
            self.table.batch_put(history)
        if products:
            self.table.batch_put(products)
