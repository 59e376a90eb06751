"""Regular demand: the reorder interval of each product a contact buys again and again, learned from the contact's
own orders, and when the next purchase is expected.

A product's interval is the median gap between the contact's purchases of it (the order ``date``s of orders that
were placed: not cancelled, not an abandoned cart), gaps under a day merged away as one purchase; it takes at
least two purchases a day or more apart. The next purchase is expected one interval after the last. A product is
due when that date is within ``lead_days`` of now and less than one interval past (a whole missed cycle: the
contact stopped buying it, and is not reminded again and again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from chalicelib.events.models import content_id

REORDER_DUE = "Reorder Due"
NOT_PURCHASES = frozenset({"CANCELLED", "ABANDONED_SHOPPING_CART"})
MIN_GAP = timedelta(days=1)  # purchases closer than this are one purchase (a split or corrected order)


@dataclass(frozen=True)
class Demand:
    """A product's learned reorder interval and the purchase it predicts."""

    product_id: str
    interval: timedelta
    last_purchase_at: datetime
    due_at: datetime

    @property
    def interval_days(self) -> int:
        """The interval in whole days (at least one)."""
        return max(1, round(self.interval / timedelta(days=1)))


def purchases(orders: Iterable[Mapping[str, Any]]) -> dict[str, list[datetime]]:
    """Each product's purchase times (oldest first, one per order) across the placed orders."""
    found: dict[str, set[datetime]] = {}
    for order in orders:
        if order.get("status") in NOT_PURCHASES or not order.get("date"):
            continue
        at = datetime.fromisoformat(str(order["date"]))
        for item in order.get("items") or []:
            product_id = item.get("externalItemId") if isinstance(item, Mapping) else None
            if product_id:
                found.setdefault(str(product_id), set()).add(at)
    return {product: sorted(times) for product, times in found.items()}


def interval(times: list[datetime]) -> timedelta | None:
    """The median gap between purchases (oldest first) a day or more apart; None without such a gap."""
    gaps: list[timedelta] = []
    last = times[0] if times else None
    for at in times[1:]:
        assert last is not None
        gap = at - last
        if gap < MIN_GAP:
            continue  # the same purchase: the next gap is measured from the first of them
        gaps.append(gap)
        last = at
    if not gaps:
        return None
    return timedelta(seconds=median(g.total_seconds() for g in gaps))


def learn(orders: Iterable[Mapping[str, Any]]) -> list[Demand]:
    """The demand of each product bought at least twice a day or more apart, by product id."""
    found: list[Demand] = []
    for product_id, times in sorted(purchases(orders).items()):
        learned = interval(times)
        if learned is not None:
            found.append(Demand(product_id, learned, times[-1], times[-1] + learned))
    return found


def due(demands: Iterable[Demand], now: datetime, lead_days: int) -> list[Demand]:
    """The demands expected within ``lead_days`` of ``now``, and not yet a whole interval overdue."""
    horizon = now + timedelta(days=lead_days)
    return [d for d in demands if d.due_at <= horizon and now < d.due_at + d.interval]


def event_id(contact_key: str, demand: Demand) -> str:
    """The ``Reorder Due`` event's id: the same contact, product and due date give the same id, so a run that
    finds the same demand again (later that day, or the next) publishes an event the consumer drops as a
    duplicate."""
    return content_id(
        "reorder-",
        {"contact": contact_key, "product": demand.product_id, "due": demand.due_at.date().isoformat()},
    )


def properties(demand: Demand) -> dict[str, Any]:
    """The ``Reorder Due`` event's properties."""
    return {
        "product_id": demand.product_id,
        "interval_days": demand.interval_days,
        "last_purchase_at": demand.last_purchase_at.isoformat(),
        "due_at": demand.due_at.isoformat(),
    }
