"""Orders table adapter: one item per externalOrderId with an optimistic version."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import Table, item_size, serialize


class DynamoOrderStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def load(self, order_id: str) -> dict[str, Any] | None:
        item = self.table.get({"pk": order_id})
        return item

    def save(self, order: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Write ``order`` if the stored version is still ``old``'s; raises Conflict otherwise."""
        expected = int(old["ver"]) if old else 0
        order["ver"] = expected + 1
        order["pk"] = order["externalOrderId"]
        if old:
            self.table.replace(order, item_size(serialize(old)), "ver = :v", {":v": expected})
        else:
            self.table.put(order, "attribute_not_exists(pk)")
            self.table.meter.request("dynamodb.IndexWrite", 1)  # the keys-only by_contact entry

    def restore(self, old: dict[str, Any] | None, written: dict[str, Any]) -> None:
        """Undo a save whose contact update failed, so a retry applies it again."""
        size = item_size(serialize(written))
        if old is None:  # only if nobody has written it since
            self.table.delete({"pk": written["pk"]}, size, "ver = :v", {":v": written["ver"]})
        else:
            self.table.replace(old, size, "ver = :v", {":v": written["ver"]})

    def for_contact(self, contact_key: str) -> list[dict[str, Any]]:
        """The contact's orders: ids from the keys-only ``by_contact`` index, then the orders themselves."""
        ids = [i["pk"] for i in self.table.query_all("contact = :c", {":c": contact_key}, index="by_contact")]
        found = self.table.batch_get([{"pk": i} for i in ids]) if ids else []
        return sorted(found, key=lambda o: str(o["pk"]))

    def delete(self, order: dict[str, Any]) -> None:
        self.table.delete({"pk": order["externalOrderId"]}, item_size(serialize(order)))
