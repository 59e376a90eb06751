"""In-memory ``OrderStore``: orders by ``externalOrderId`` with the optimistic version ``ver``."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalicelib.errors import Conflict
from chalicelib.ports import Order, OrderStore
from tests.fakes.items import stored_item


class FakeOrderStore:
    """``orders[externalOrderId]``: the stored items (with ``pk`` and ``ver``, as the adapter returns them)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self._lock = threading.RLock()

    def load(self, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return stored_item(order) if order is not None else None

    def save(self, order: Order, old: Order | None) -> None:
        expected = int(old["ver"]) if old else 0
        order["ver"] = expected + 1
        order["pk"] = order["externalOrderId"]
        with self._lock:
            current = self.orders.get(order["pk"])
            if old:
                if current is None or int(current["ver"]) != expected:
                    raise Conflict("The item changed or already exists")
            elif current is not None:
                raise Conflict("The item changed or already exists")
            self.orders[order["pk"]] = stored_item(order)

    def restore(self, old: Order | None, written: Order) -> None:
        with self._lock:
            current = self.orders.get(written["pk"])
            if old is None and current is not None and int(current["ver"]) == int(written["ver"]):
                del self.orders[written["pk"]]
                return
            if old is None:
                raise Conflict("The item changed or already exists")
            if current is None or int(current["ver"]) != int(written["ver"]):
                raise Conflict("The item changed or already exists")
            self.orders[old["pk"]] = stored_item(old)

    def for_contact(self, contact_key: str) -> list[Order]:
        with self._lock:
            found = [stored_item(o) for o in self.orders.values() if o.get("contact") == contact_key]
        return sorted(found, key=lambda o: str(o["pk"]))

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        contact_key: str | None = None,
        status: str | None = None,
        dates: tuple[datetime | None, datetime | None] = (None, None),
    ) -> tuple[list[Order], dict[str, Any] | None]:
        """Orders in id order, after ``start``'s id; a contact's cursor carries its key, as the index's does."""
        from tests.fakes.contacts import page_start

        after = page_start(start, ("pk",) if contact_key is None else ("pk", "contact"))
        if after is not None and contact_key is not None and after["contact"] != contact_key:
            page_start({}, ("pk",))
        low, high = dates
        with self._lock:
            ordered = sorted(self.orders.items())
        matching = []
        for order_id, order in ordered:
            if after is not None and order_id <= after["pk"]:
                continue
            if contact_key is not None and order.get("contact") != contact_key:
                continue
            if status and order.get("status") != status:
                continue
            if low is not None or high is not None:
                try:
                    placed = datetime.fromisoformat(str(order.get("date")))
                except ValueError:
                    continue
                if (low is not None and placed < low) or (high is not None and placed > high):
                    continue
            matching.append(stored_item(order))
        shown = matching[:limit]
        if len(matching) <= limit:
            return shown, None
        last: dict[str, Any] = {"pk": shown[-1]["pk"]}
        if contact_key is not None:
            last["contact"] = contact_key
        return shown, last

    def delete(self, order: dict[str, Any]) -> None:
        with self._lock:
            self.orders.pop(order["externalOrderId"], None)


_: OrderStore = FakeOrderStore()
