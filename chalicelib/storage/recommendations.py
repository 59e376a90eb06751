"""Recommendation lists adapter, on the products table (its ``pk``/``sk`` schema holds them beside the products,
so no new table):

* ``pk = "R#<model>#<key>"``, ``sk = "list"``: ``{"ids": [product ids in order], "scores": [numbers, 6
  significant digits], "builtAt": ISO, "x": TTL}``. A list is one item (50 ids of 30 bytes are about 2 KB: 2 write
  units), so a reader never sees half a list. ``x`` expires a list ``KEEP_DAYS`` after its last write: a rebuild
  overwrites every list it makes, and one it no longer makes (a product nobody viewed lately) goes away.
* ``pk = "R#<model>"``, ``sk = "built"``: ``{"builtAt": ISO}``, the model's latest build.

Product ids never collide with these items: a product's items have ``sk`` ``current`` or ``h#...``, and the
catalog's listing (a Scan filtered on ``sk = current``) reads these and drops them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.recommendations.models import Scored
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, item_size, serialize, write_units

PREFIX = "R#"
LIST = "list"
BUILT = "built"
KEEP_DAYS = 3


def _list_item(model: str, key: str, items: Sequence[Scored], built_at: str) -> Item:
    expires = datetime.fromisoformat(built_at.replace("Z", "+00:00")) + timedelta(days=KEEP_DAYS)
    return {
        "pk": f"{PREFIX}{model}#{key}",
        "sk": LIST,
        "ids": [s.product_id for s in items],
        "scores": [Decimal(f"{s.score:.6g}") for s in items],
        "builtAt": built_at,
        "x": int(expires.timestamp()),
    }


def _built_item(model: str, built_at: str) -> Item:
    return {"pk": f"{PREFIX}{model}", "sk": BUILT, "builtAt": built_at}


def _scored(item: Item) -> list[Scored]:
    return [Scored(str(i), float(s)) for i, s in zip(item.get("ids") or [], item.get("scores") or [], strict=True)]


class DynamoRecommendationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put(self, model: str, key: str, items: Sequence[Scored], built_at: str) -> None:
        self.table.put(_list_item(model, key, items, built_at))
        self.table.put(_built_item(model, built_at))

    def put_many(self, lists: Mapping[tuple[str, str], Sequence[Scored]], built_at: str) -> int:
        """The lists in BatchWriteItem calls of 25, then each model's build time (so ``built_at`` names a build
        whose lists are all written); the write units counted as ``Table`` meters them."""
        items = [_list_item(m, k, found, built_at) for (m, k), found in lists.items()]
        items += [_built_item(m, built_at) for m in sorted({model for model, _ in lists})]
        self.table.batch_put(items)
        return sum(write_units(item_size(serialize(i))) for i in items)

    def get(self, model: str, key: str) -> list[Scored] | None:
        item = self.table.get({"pk": f"{PREFIX}{model}#{key}", "sk": LIST}, consistent=False)
        return _scored(item) if item is not None else None

    def get_many(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Scored]]:
        """One BatchGetItem per 100 keys (eventually consistent, as ``get``)."""
        wanted = {f"{PREFIX}{model}#{key}": (model, key) for model, key in keys}
        if not wanted:
            return {}
        items = self.table.batch_get([{"pk": pk, "sk": LIST} for pk in wanted])
        return {wanted[str(item["pk"])]: _scored(item) for item in items if str(item["pk"]) in wanted}

    def built_at(self, model: str) -> str | None:
        item = self.table.get({"pk": f"{PREFIX}{model}", "sk": BUILT}, consistent=False)
        return str(item["builtAt"]) if item else None
