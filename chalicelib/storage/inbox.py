"""App inbox adapter on the messages table (``orbit-<stage>-messages``, ``pk``/``sk`` strings, TTL on ``x``).

A contact's inbox is one partition, ``I#<contact key>``, holding two kinds of item per message:

* the item, ``m#<message id>``: title, body, image, link, ``createdAt``, ``exp`` (ISO expiry, absent: none),
  ``readAt`` and ``hid`` (when it was hidden). Message ids sort by creation time, so one Query read backwards
  lists the inbox newest first; expired and hidden items are filtered out (on ``exp`` as ISO text, exact to the
  millisecond; ``x``, whole seconds, only lets DynamoDB's TTL delete them later);
* an unread marker, ``u#<message id>``, with the same ``exp``: written with the item in one transaction, deleted
  in the transaction that marks the item read or hides it. The unread count is a Query of the markers alone
  (``begins_with(sk, "u#")``, about 60 bytes each, so ~65 per read unit), never of the items. A counter item
  could not follow expiry (TTL deletes items without telling anyone); the markers expire with their items.

A hidden item stays (``hid`` set, kept ``HIDDEN_DAYS``) as a tombstone, so adding its message id again is still
refused: adding is idempotent by message id for as long as the item or its tombstone is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, bad_cursor
from chalicelib.ports import InboxItem
from chalicelib.storage.dynamo import Table, collect_page
from chalicelib.storage.items import Item, item_size, serialize, write_units

HIDDEN_DAYS = 30
_CURSOR = "in1."
_LIVE = "attribute_not_exists(hid) AND (attribute_not_exists(#exp) OR #exp > :now)"
_NAMES = {"#exp": "exp"}


def _pk(contact_key: str) -> str:
    return f"I#{contact_key}"


def _item_key(contact_key: str, message_id: str) -> Item:
    return {"pk": _pk(contact_key), "sk": f"m#{message_id}"}


def _marker_key(contact_key: str, message_id: str) -> Item:
    return {"pk": _pk(contact_key), "sk": f"u#{message_id}"}


def _epoch(text: str | None) -> int | None:
    return int(datetime.fromisoformat(text).timestamp()) + 1 if text else None


def _inbox_item(item: Item) -> InboxItem:
    return InboxItem(
        message_id=item["sk"].removeprefix("m#"),
        contact_key=item["pk"].removeprefix("I#"),
        title=item["title"],
        created_at=item["createdAt"],
        body=item.get("body"),
        image=item.get("image"),
        link=item.get("link"),
        expires_at=item.get("exp"),
        read_at=item.get("readAt"),
    )


def _live(item: Item, now: datetime) -> bool:
    return "hid" not in item and ("exp" not in item or item["exp"] > iso(now))


def _encode_cursor(contact_key: str, after: str) -> str:
    return encode_cursor(_CURSOR, {"c": contact_key, "a": after})


def _decode_cursor(cursor: str, contact_key: str) -> str:
    data = decode_cursor(_CURSOR, cursor)
    after = data.get("a")
    if set(data) != {"c", "a"} or data["c"] != contact_key or not isinstance(after, str) or not after.startswith("m#"):
        raise bad_cursor()
    return after


class DynamoInboxStore:
    """``InboxStore`` on the messages table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, item: InboxItem) -> bool:
        key = _item_key(item.contact_key, item.message_id)
        stored: Item = {
            **key,
            "title": item.title,
            "body": item.body,
            "image": item.image,
            "link": item.link,
            "createdAt": item.created_at,
            "exp": item.expires_at,
            "x": _epoch(item.expires_at),
        }
        marker: Item = {**_marker_key(item.contact_key, item.message_id), "exp": item.expires_at}
        marker["x"] = stored["x"]
        try:
            self.table.transact_put([(stored, "attribute_not_exists(pk)", None), (marker, None, None)])
        except Conflict:
            return False  # stored before (a resend after a crash), or hidden since: the first copy stands
        return True

    def item(self, contact_key: str, message_id: str, now: datetime) -> InboxItem | None:
        found = self.table.get(_item_key(contact_key, message_id))
        return _inbox_item(found) if found is not None and _live(found, now) else None

    def items(
        self, contact_key: str, now: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[InboxItem], str | None]:
        after = _decode_cursor(cursor, contact_key) if cursor is not None else None
        if limit < 1:
            return [], None
        pk = _pk(contact_key)

        def fetch(start: Item | None, read: int) -> tuple[list[Item], Item | None]:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
                "FilterExpression": _LIVE,
                "ExpressionAttributeNames": _NAMES,
                "ExpressionAttributeValues": serialize({":pk": pk, ":m": "m#", ":now": iso(now)}),
                "ScanIndexForward": False,
                "Limit": read,
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = serialize(start)
            return self.table._page("dynamodb.Query", self.table.client.query, kwargs)

        start = {"pk": pk, "sk": after} if after is not None else None
        found, last = collect_page(fetch, limit, start, lambda i: {"pk": i["pk"], "sk": i["sk"]})
        return [_inbox_item(i) for i in found], _encode_cursor(contact_key, last["sk"]) if last else None

    def unread(self, contact_key: str, now: datetime) -> int:
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :u)",
            "FilterExpression": "attribute_not_exists(#exp) OR #exp > :now",
            "ExpressionAttributeNames": {**_NAMES, "#sk": "sk"},
            "ExpressionAttributeValues": serialize({":pk": _pk(contact_key), ":u": "u#", ":now": iso(now)}),
            "ProjectionExpression": "#sk",
        }
        count = 0
        while True:
            markers, last = self.table._page("dynamodb.Query", self.table.client.query, kwargs)
            count += len(markers)
            if last is None:
                return count
            kwargs["ExclusiveStartKey"] = serialize(last)

    def mark_read(self, contact_key: str, message_id: str, at: datetime) -> bool:
        return self._settle(contact_key, message_id, "SET readAt = :at", "attribute_not_exists(readAt)", at, {})

    def hide(self, contact_key: str, message_id: str, at: datetime) -> bool:
        keep = int((at + timedelta(days=HIDDEN_DAYS)).timestamp())
        return self._settle(contact_key, message_id, "SET hid = :at, #x = :keep", None, at, {":keep": keep})

    def _settle(
        self,
        contact_key: str,
        message_id: str,
        update: str,
        condition: str | None,
        at: datetime,
        values: dict[str, Any],
    ) -> bool:
        """In one transaction: ``update`` the live item (if ``condition`` holds) and drop its unread marker. False
        when the item is gone, expired, hidden or fails ``condition`` (nothing is written)."""
        when = f"attribute_exists(pk) AND {_LIVE}" + (f" AND {condition}" if condition else "")
        key = _item_key(contact_key, message_id)
        actions = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize(key),
                    "UpdateExpression": update,
                    "ConditionExpression": when,
                    "ExpressionAttributeNames": {**_NAMES, **({"#x": "x"} if "#x" in update else {})},
                    "ExpressionAttributeValues": serialize({":at": iso(at), ":now": iso(at), **values}),
                }
            },
            {"Delete": {"TableName": self.table.name, "Key": serialize(_marker_key(contact_key, message_id))}},
        ]
        units = 2 * (write_units(item_size(serialize(key))) + 1)
        try:
            self.table._write(
                "dynamodb.TransactWriteItems", self.table.client.transact_write_items, {"TransactItems": actions}, units
            )
        except Conflict:
            return False
        return True
