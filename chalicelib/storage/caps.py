"""Frequency-cap counters on the messages table: one item per (contact, channel, UTC day),
``("P#<contact>#<channel>", "d#<day>")``, holding ``n`` (the messages counted) and ``ids`` (their message ids, a
string set). One conditional UpdateItem counts a message: ``ADD`` both unless the id is in the set or ``n`` has
reached the limit, so a retried or redelivered message counts once and concurrent sends never pass the limit.
Items expire with the ledger (``retention_days``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.clock import Clock
from chalicelib.errors import Conflict
from chalicelib.storage.dynamo import Table, translate
from chalicelib.storage.items import Item, serialize


def _pk(contact_key: str, channel: str) -> str:
    return f"P#{contact_key}#{channel}"


class DynamoCapCounter:
    """``CapCounter`` on the messages table."""

    def __init__(self, table: Table, clock: Clock, retention_days: int) -> None:
        self.table = table
        self.clock = clock
        self.retention = timedelta(days=retention_days)

    def counts(self, contact_key: str, channel: str, days: Sequence[str]) -> dict[str, int]:
        if not days:
            return {}
        wanted = set(days)
        items = self.table.query_all(
            "pk = :pk AND sk BETWEEN :a AND :b",
            {":pk": _pk(contact_key, channel), ":a": f"d#{min(days)}", ":b": f"d#{max(days)}"},
        )
        found: dict[str, int] = {}
        for item in items:
            day = str(item["sk"])[2:]
            if day in wanted and int(item.get("n", 0)):
                found[day] = int(item["n"])
        return found

    def count(self, contact_key: str, channel: str, day: str, message_id: str, limit: int | None) -> bool:
        key: Item = {"pk": _pk(contact_key, channel), "sk": f"d#{day}"}
        if limit is not None and limit <= 0:  # nothing more today: only a message counted before passes
            return message_id in ((self.table.get(key) or {}).get("ids") or set())
        condition = "(attribute_not_exists(ids) OR NOT contains(ids, :mid))"
        values: dict[str, Any] = {
            ":one": 1,
            ":ids": {message_id},
            ":mid": message_id,
            ":x": int((self.clock.now() + self.retention).timestamp()),
        }
        if limit is not None:
            condition += " AND (attribute_not_exists(n) OR n < :limit)"
            values[":limit"] = limit
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": serialize(key),
            "UpdateExpression": "ADD n :one, ids :ids SET x = :x",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": "NONE",
        }
        try:
            self.table.client.update_item(**kwargs)
        except ClientError as exc:
            error = translate(exc)
            self.table.meter.request("dynamodb.UpdateItem", 1)
            if not isinstance(error, Conflict):
                raise error from exc
            stored = self.table.get(key) or {}
            return message_id in (stored.get("ids") or set())
        except BotoCoreError as exc:
            raise translate(exc) from exc
        self.table.meter.request("dynamodb.UpdateItem", 1)
        return True
