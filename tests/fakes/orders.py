"""In-memory ``OrderStore``: orders by ``externalOrderId`` with the optimistic version ``ver``."""

from __future__ import annotations

import threading
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

    def delete(self, order: dict[str, Any]) -> None:
        with self._lock:
            self.orders.pop(order["externalOrderId"], None)


_: OrderStore = FakeOrderStore()
