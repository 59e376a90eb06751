"""The interest index in the products table: who viewed, carted or wishlisted a product lately.

Items: ``pk = "W#<product id>"``, ``sk = <contact key>``, ``at`` (ISO time of the latest interest) and the TTL
attribute ``x`` (epoch seconds, ``INTEREST_DAYS`` after ``at``). One item per (product, contact): a repeated view
overwrites it (one small write per pair per batch of contact changes). ``interested`` is one Query of the product's
partition; items past ``since`` that TTL has not removed yet are dropped after reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.clock import iso
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import bad_cursor
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item

PREFIX = "W#"
INTEREST_DAYS = 30
CURSOR = "wi1."


def interest_item(product_id: str, contact_key: str, at: datetime) -> Item:
    return {
        "pk": PREFIX + product_id,
        "sk": contact_key,
        "at": iso(at),
        "x": int((at + timedelta(days=INTEREST_DAYS)).timestamp()),
    }


class DynamoInterestIndex:
    def __init__(self, table: Table) -> None:
        self.table = table

    def note(self, entries: Sequence[tuple[str, str, datetime]]) -> None:
        latest: dict[tuple[str, str], datetime] = {}
        for product_id, contact_key, at in entries:
            pair = (product_id, contact_key)
            if pair not in latest or at > latest[pair]:
                latest[pair] = at
        if latest:
            self.table.batch_put([interest_item(p, k, at) for (p, k), at in latest.items()])

    def forget(self, entries: Sequence[tuple[str, str]]) -> None:
        pairs = dict.fromkeys(entries)
        if pairs:
            self.table.batch_delete([{"pk": PREFIX + p, "sk": k} for p, k in pairs])

    def interested(
        self, product_id: str, since: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        pk = PREFIX + product_id
        start: Item | None = None
        if cursor is not None:
            after = decode_cursor(CURSOR, cursor).get("after")
            if not isinstance(after, str) or not after:
                raise bad_cursor()
            start = {"pk": pk, "sk": after}
        items, last = self.table.query("pk = :p", {":p": pk}, limit=limit, start=start)
        floor = iso(since)
        keys = [str(i["sk"]) for i in items if str(i.get("at", "")) >= floor]
        return keys, encode_cursor(CURSOR, {"after": str(last["sk"])}) if last else None
