"""Recommendation lists adapter, on the products table (its ``pk``/``sk`` schema holds them beside the products,
so no new table):

* ``pk = "R#<model>#<key>"``, ``sk = "list"``: ``{"ids": [product ids in order], "scores": [numbers, 6
  significant digits], "builtAt": ISO, "x": TTL}``. A list is one item (50 ids of 30 bytes are about 2 KB: 2 write
  units), so a reader never sees half a list. ``x`` expires a list ``KEEP_DAYS`` after its last write: a rebuild
  overwrites every list it makes, and one it no longer makes (a product nobody viewed lately) goes away.
* ``pk = "R#<model>"``, ``sk = "built"``: ``{"builtAt": ISO}``, the model's latest build.
* ``pk = "RC#<n>"``, ``sk = "counts"``: ``{"b": bytes, "builtAt": ISO, "x": TTL}``, chunk ``n`` of the kept
  ``Counts`` (their ``snapshot`` as JSON, zlib-compressed, cut in ``CHUNK_BYTES`` pieces so an item stays under
  DynamoDB's 400 KB); ``pk = "RC#manifest"``, ``sk = "counts"``: ``{"builtAt", "fullAt", "chunks", "x"}``, written
  after every chunk. A reader takes the chunks only when each names the manifest's ``builtAt``, so a snapshot
  half-written (or half-overwritten) is never read; ``x`` drops them ``COUNTS_KEEP_DAYS`` after the last write.

Product ids never collide with these items: a product's items have ``sk`` ``current`` or ``h#...``, and the
catalog's listing (a Scan filtered on ``sk = current``) reads these and drops them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.recommendations.counts import Counts, KeptCounts
from chalicelib.recommendations.models import Scored
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, item_size, serialize, write_units

PREFIX = "R#"
LIST = "list"
BUILT = "built"
KEEP_DAYS = 3
COUNTS_PREFIX = "RC#"
COUNTS = "counts"
MANIFEST = "manifest"
CHUNK_BYTES = 300_000  # compressed snapshot bytes per item (DynamoDB allows 400 KB an item)
COUNTS_KEEP_DAYS = 8  # a rebuild uses kept counts at most 7 days after the full rebuild they come from


def _list_item(model: str, key: str, items: Sequence[Scored], built_at: str) -> Item:
    return {
        "pk": f"{PREFIX}{model}#{key}",
        "sk": LIST,
        "ids": [s.product_id for s in items],
        "scores": [Decimal(f"{s.score:.6g}") for s in items],
        "builtAt": built_at,
        "x": _expires(built_at, KEEP_DAYS),
    }


def _built_item(model: str, built_at: str) -> Item:
    return {"pk": f"{PREFIX}{model}", "sk": BUILT, "builtAt": built_at}


def list_items(lists: Mapping[tuple[str, str], Sequence[Scored]], built_at: str) -> list[Item]:
    """The items ``put_many`` writes for ``lists``: one per list, then each model's build time."""
    items = [_list_item(m, k, found, built_at) for (m, k), found in lists.items()]
    return items + [_built_item(m, built_at) for m in sorted({model for model, _ in lists})]


def items_write_units(items: Sequence[Item]) -> int:
    """The write units of putting ``items`` (each a new item), by DynamoDB's rules as ``Table`` meters them."""
    return sum(write_units(item_size(serialize(i))) for i in items)


def _expires(built_at: str, days: int) -> int:
    return int((datetime.fromisoformat(built_at.replace("Z", "+00:00")) + timedelta(days=days)).timestamp())


def counts_items(kept: KeptCounts) -> list[Item]:
    """The chunks of ``kept.counts``, then the manifest (the order they are written in)."""
    packed = zlib.compress(json.dumps(kept.counts.snapshot(), separators=(",", ":")).encode(), 6)
    pieces = [packed[n : n + CHUNK_BYTES] for n in range(0, len(packed), CHUNK_BYTES)]
    x = _expires(kept.built_at, COUNTS_KEEP_DAYS)
    chunks = [
        {"pk": f"{COUNTS_PREFIX}{n}", "sk": COUNTS, "b": piece, "builtAt": kept.built_at, "x": x}
        for n, piece in enumerate(pieces)
    ]
    manifest = {
        "pk": f"{COUNTS_PREFIX}{MANIFEST}",
        "sk": COUNTS,
        "builtAt": kept.built_at,
        "fullAt": kept.full_at,
        "chunks": len(chunks),
        "x": x,
    }
    return [*chunks, manifest]


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
        items = list_items(lists, built_at)
        self.table.batch_put(items)
        return items_write_units(items)

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

    def put_counts(self, kept: KeptCounts) -> int:
        """The chunks in batched writes, then the manifest; the write units spent."""
        items = counts_items(kept)
        self.table.batch_put(items[:-1])
        self.table.put(items[-1])
        return items_write_units(items)

    def get_counts(self) -> KeptCounts | None:
        """Consistent reads of the manifest and each chunk; None when a chunk is missing or from another build."""
        manifest = self.table.get({"pk": f"{COUNTS_PREFIX}{MANIFEST}", "sk": COUNTS})
        if manifest is None:
            return None
        built_at, packed = str(manifest["builtAt"]), b""
        for n in range(int(manifest["chunks"])):
            chunk = self.table.get({"pk": f"{COUNTS_PREFIX}{n}", "sk": COUNTS})
            if chunk is None or chunk.get("builtAt") != built_at:
                return None
            packed += bytes(chunk["b"])
        counts = Counts.restore(json.loads(zlib.decompress(packed)))
        return KeptCounts(counts, built_at, str(manifest["fullAt"]))

    def built_at(self, model: str) -> str | None:
        item = self.table.get({"pk": f"{PREFIX}{model}", "sk": BUILT}, consistent=False)
        return str(item["builtAt"]) if item else None
