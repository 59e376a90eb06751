"""Shared rate windows on the messages table: one item per (name, window), ``("R#<name>", "<epoch second>")``,
holding ``n``, the count taken in it. One conditional UpdateItem takes a slot: ``ADD n :one`` unless ``n`` has
reached the limit, so any number of processes taking slots at once never pass it. Items expire (``x``, the
table's TTL attribute) two minutes after their window starts; a window is never read again after it ends."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Conflict
from chalicelib.storage.dynamo import Table, translate
from chalicelib.storage.items import serialize

KEEP_SECONDS = 120  # how long past its start a window's item is kept


class DynamoRateLimiter:
    """``RateLimiter`` on the messages table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def take(self, name: str, window: int, limit: int) -> bool:
        if limit <= 0:
            return False
        values: dict[str, Any] = {":one": 1, ":limit": limit, ":x": window + KEEP_SECONDS}
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": serialize({"pk": f"R#{name}", "sk": str(window)}),
            "UpdateExpression": "ADD n :one SET x = :x",
            "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": "NONE",
        }
        try:
            self.table.client.update_item(**kwargs)
        except ClientError as exc:
            self.table.meter.request("dynamodb.UpdateItem", 1)
            error = translate(exc)
            if isinstance(error, Conflict):  # the window is full
                return False
            raise error from exc
        except BotoCoreError as exc:
            raise translate(exc) from exc
        self.table.meter.request("dynamodb.UpdateItem", 1)
        return True
