"""The reference: what the card should say, computed from scratch over what should count, with none of the
consumer's machinery (no folding, no dedupe record, no versions). Property tests compare the card to it; the
segments issue reuses it as the oracle for rule evaluation.

Rules it encodes (docs/data-model.md):

* events count once per event id, on their UTC day; first/last seen are the min/max event times; an
  anonymous visitor's events count for the contact they sign in as, whenever the sign-in arrives; the server
  API rejects an event more than 5 minutes ahead of the receive time;
* an order's state is its message with the latest order time (``updatedAt``, else ``date``), whatever order
  the messages arrive in (an older message changes nothing); at equal times the status further along wins
  (ABANDONED_SHOPPING_CART < INITIALIZED < IN_PROGRESS < DELIVERED < CANCELLED);
* only DELIVERED orders count: per currency, count, revenue and average (money as decimal strings in the
  currency's minor units); first/last order times are the min/max of the counting orders' dates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.clock import iso
from chalicelib.orders.money import money  # formatting only: the rules above are computed here

PROGRESS = ("ABANDONED_SHOPPING_CART", "INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED")


@dataclass(frozen=True)
class ExpectedEvents:
    daily_counts: dict[str, dict[str, int]]
    first_seen: datetime
    last_seen: datetime


SKEW = timedelta(minutes=5)


def expected_events(events: list[dict[str, Any]], now: datetime) -> ExpectedEvents:
    """``events`` as sent to ``POST /v1/events`` (each with its own ``eventId`` and ``timestamp``) by one person,
    known or as the visitor they sign in as."""
    accepted = [e for e in events if datetime.fromisoformat(e["timestamp"]) <= now + SKEW]
    distinct = {e["eventId"]: e for e in accepted}
    times = {i: datetime.fromisoformat(e["timestamp"]).astimezone(UTC) for i, e in distinct.items()}
    counts: dict[str, Counter[str]] = {}
    for event_id, event in distinct.items():
        counts.setdefault(event["type"], Counter())[times[event_id].strftime("%Y%m%d")] += 1
    return ExpectedEvents(
        daily_counts={t: dict(c) for t, c in counts.items()},
        first_seen=min(times.values(), default=now),
        last_seen=max(times.values(), default=now),
    )


@dataclass(frozen=True)
class Order:
    """One order message of a generated sequence."""

    order_id: str
    status: str
    minutes_ago: int  # the order's own time: when this status was reached
    total: str
    currency: str

    def at(self, now: datetime) -> datetime:
        return now - timedelta(minutes=self.minutes_ago)

    def body(self, now: datetime) -> dict[str, Any]:
        """The order as a client sends it: ``date`` is when it was placed (its first message's time is not
        known to the client here, so every message carries the same placing date), ``updatedAt`` the
        status's time."""
        return {
            "externalOrderId": self.order_id,
            "externalId": "u-1",
            "status": self.status,
            "date": (now - timedelta(days=70)).isoformat(),
            "updatedAt": self.at(now).isoformat(),
            "totalCost": self.total,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class ExpectedOrders:
    count: int
    revenue: dict[str, str]
    average: dict[str, str]
    first_at: str | None
    last_at: str | None


def final_state(messages: list[Order]) -> Order:
    """The message that decides an order's state: latest order time; at a tie, the status further along."""
    return max(messages, key=lambda m: (-m.minutes_ago, PROGRESS.index(m.status)))


def expected_orders(messages: list[Order], now: datetime) -> ExpectedOrders:
    by_order: dict[str, list[Order]] = {}
    for message in messages:
        by_order.setdefault(message.order_id, []).append(message)
    counting = [s for s in (final_state(m) for m in by_order.values()) if s.status == "DELIVERED"]
    revenue: dict[str, Decimal] = {}
    count: Counter[str] = Counter()
    for state in counting:
        revenue[state.currency] = revenue.get(state.currency, Decimal(0)) + Decimal(state.total)
        count[state.currency] += 1
    placed = iso(now - timedelta(days=70))
    return ExpectedOrders(
        count=len(counting),
        revenue={c: money(v, c) for c, v in revenue.items()},
        average={c: money(v / count[c], c) for c, v in revenue.items()},
        first_at=placed if counting else None,
        last_at=placed if counting else None,
    )
