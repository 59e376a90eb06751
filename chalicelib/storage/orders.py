"""Orders table adapter: one item per externalOrderId with an optimistic version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.errors import bad_cursor
from chalicelib.storage.dynamo import Table, checked_start, collect_page
from chalicelib.storage.items import Item, item_size, serialize


def _dated(order: Item, dates: tuple[datetime | None, datetime | None]) -> bool:
    """The order's ``date`` (as sent, with its offset) within the inclusive bounds."""
    low, high = dates
    if low is None and high is None:
        return True
    try:
        placed = datetime.fromisoformat(str(order.get("date")))
    except ValueError:
        return False
    return (low is None or placed >= low) and (high is None or placed <= high)


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

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        contact_key: str | None = None,
        status: str | None = None,
        dates: tuple[datetime | None, datetime | None] = (None, None),
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A contact's orders from the keys-only ``by_contact`` index (then read in batches), else a Scan; the
        status is filtered by DynamoDB on a scan, the date (sent with any offset) here, as a time."""
        if contact_key is None:
            start = checked_start(start, ("pk",))
            values = {":status": status} if status else None
            names = {"#status": "status"} if status else None
            condition = "#status = :status" if status else None

            def scan(after: Item | None, read: int) -> tuple[list[Item], Item | None]:
                items, last = self.table.scan_page(read, after, condition, values, names)
                return [i for i in items if _dated(i, dates)], last

            return collect_page(scan, limit, start, lambda i: {"pk": i["pk"]})
        start = checked_start(start, ("pk", "contact"))
        if start is not None and start["contact"] != contact_key:
            raise bad_cursor()

        def query(after: Item | None, read: int) -> tuple[list[Item], Item | None]:
            keys, last = self.table.query(
                "contact = :c", {":c": contact_key}, index="by_contact", limit=read, start=after
            )
            found = {str(o["pk"]): o for o in (self.table.batch_get([{"pk": k["pk"]} for k in keys]) if keys else [])}
            ordered = [found[str(k["pk"])] for k in keys if str(k["pk"]) in found]
            kept = [o for o in ordered if o.get("contact") == contact_key and (not status or o.get("status") == status)]
            return [o for o in kept if _dated(o, dates)], last

        return collect_page(query, limit, start, lambda o: {"pk": o["pk"], "contact": contact_key})
