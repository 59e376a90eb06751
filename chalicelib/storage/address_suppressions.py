"""The address suppression list in the messages table: ``(pk="S#<channel>", sk=<normalised address>)`` with the
reason, who added it and when.

One partition per channel, so a channel's list reads in address order with a query; a send reads one item of it
(``GetItem``, strongly consistent). Entries never expire: an address stays suppressed until it is lifted.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Conflict
from chalicelib.messaging.address_suppressions import AddressSuppression, decode_cursor, encode_cursor
from chalicelib.storage.dynamo import Table

_PK = "S#"

Item = dict[str, Any]


def _key(channel: str, address: str) -> Item:
    return {"pk": _PK + channel, "sk": address}


def _entry(item: Item) -> AddressSuppression:
    return AddressSuppression(
        channel=str(item["pk"])[len(_PK) :],
        address=str(item["sk"]),
        reason=str(item.get("reason", "")),
        source=str(item.get("source", "")),
        at=str(item.get("at", "")),
    )


class DynamoAddressSuppressions:
    """``AddressSuppressions`` on the messages table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def suppress(self, entry: AddressSuppression) -> None:
        self.table.put(
            {**_key(entry.channel, entry.address), "reason": entry.reason, "source": entry.source, "at": entry.at}
        )

    def suppression(self, channel: str, address: str) -> AddressSuppression | None:
        item = self.table.get(_key(channel, address))
        return _entry(item) if item else None

    def lift(self, channel: str, address: str) -> bool:
        try:
            self.table.delete(_key(channel, address), condition="attribute_exists(pk)")
        except Conflict:  # not on the list
            return False
        return True

    def suppressions(
        self, channel: str, limit: int, cursor: str | None = None
    ) -> tuple[list[AddressSuppression], str | None]:
        after = decode_cursor(channel, cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        start = _key(channel, after) if after else None
        items, last = self.table.query("pk = :pk", {":pk": _PK + channel}, limit=limit, start=start)
        entries = [_entry(i) for i in items]
        more = last is not None and len(entries) == limit
        return entries, encode_cursor(channel, entries[-1].address) if more and entries else None
