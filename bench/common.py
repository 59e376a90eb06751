"""Shared benchmark helpers: timing, realistic workload data, and the marked sections of the docs.

Workloads are generated from a seeded ``random.Random`` so two runs write the same shapes; ids are
unique per round so every round inserts fresh rows on both sides of a comparison.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.clock import iso
from chalicelib.events.models import Event, Identity
from chalicelib.messages import EventMsg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


# timing ------------------------------------------------------------------------------------------


@dataclass
class Stopwatch:
    """Accumulates only the timed parts of a round (set-up and draining stay outside)."""

    seconds: float = 0.0

    @contextmanager
    def timed(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def rate(events: int, seconds: float) -> float:
    return events / seconds if seconds > 0 else 0.0


def machine_note() -> str:
    cpus = os.cpu_count() or 0
    return f"{cpus} cores, {platform.machine()}, Python {platform.python_version()}, {platform.system()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


# workload data -----------------------------------------------------------------------------------

CATEGORIES = ["shoes/running", "shoes/trail", "apparel/jackets", "apparel/base-layers", "gear/headlamps"]
EVENT_MIX = [  # (type, weight) of a browsing session
    ("Page Viewed", 30),
    ("Product Viewed", 35),
    ("Products Searched", 10),
    ("Product Added", 12),
    ("Cart Updated", 8),
    ("Product Added to Wishlist", 5),
]


def product(rng: random.Random) -> dict[str, Any]:
    sku = f"SKU-{rng.randrange(100_000, 999_999)}"
    category = rng.choice(CATEGORIES)
    slug = f"{category.replace('/', '-')}-trail-runner-{sku.lower()}"
    item: dict[str, Any] = {
        "product_id": sku,
        "name": f"Trail Runner {rng.choice(['GTX', 'Pro', 'Lite', 'Max'])} {rng.randrange(1, 9)}",
        "price": round(rng.uniform(19, 249), 2),
        "currency": "EUR",
        "url": f"https://shop.example/p/{slug}",
        "image": f"https://cdn.shop.example/img/{sku.lower()}/main-800x800.webp",
        "category": category,
    }
    return item


def properties(rng: random.Random, event_type: str, cart_id: str) -> dict[str, Any]:
    """Properties of a realistic e-commerce event, about 300 bytes as JSON."""
    p = product(rng)
    if event_type == "Page Viewed":
        return {
            "url": p["url"],
            "path": "/p/" + p["url"].rsplit("/", 1)[1],
            "title": f"{p['name']} | Shop Example",
            "referrer": "https://www.google.com/",
            "search": "?utm_source=google&utm_medium=cpc",
        }
    if event_type == "Products Searched":
        return {"query": rng.choice(["trail shoes", "gore-tex jacket", "headlamp 400 lumen"]), "results": 48, **p}
    if event_type == "Product Added":
        return {**p, "quantity": 1, "cart_id": cart_id}
    if event_type == "Cart Updated":
        items = [{**product(rng), "quantity": rng.randrange(1, 3)} for _ in range(2)]
        for item in items:
            del item["image"], item["category"]
        return {"cart_id": cart_id, "currency": "EUR", "products": items}
    return {**p, "position": rng.randrange(1, 24), "list_id": "search-results"}


@dataclass
class Session:
    external_id: str
    events: int
    cart_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def interleaved_stream(
    rng: random.Random, external_ids: list[str], events_per_contact: tuple[int, int], concurrency: int
) -> list[tuple[str, str, str]]:
    """``(external id, event type, cart id)`` as a queue would see them: a few sessions at a time."""
    sessions = [Session(e, rng.randint(*events_per_contact)) for e in external_ids]
    waiting, active, stream = list(sessions), [], []
    types, weights = zip(*EVENT_MIX, strict=True)
    while waiting or active:
        while waiting and len(active) < concurrency:
            active.append(waiting.pop(0))
        session = rng.choice(active)
        stream.append((session.external_id, rng.choices(types, weights)[0], session.cart_id))
        session.events -= 1
        if session.events == 0:
            active.remove(session)
    return stream


def event_in(rng: random.Random, external_id: str, event_type: str, cart_id: str, at: datetime) -> dict[str, Any]:
    """One event as a server POSTs it to ``/v1/events``."""
    return {
        "type": event_type,
        "externalId": external_id,
        "eventId": uuid.uuid4().hex,
        "timestamp": at.isoformat(),
        "properties": properties(rng, event_type, cart_id),
    }


def timestamps(count: int, end: datetime, spacing_seconds: float = 7.0) -> list[datetime]:
    start = end - timedelta(seconds=spacing_seconds * count)
    return [start + timedelta(seconds=spacing_seconds * i) for i in range(count)]


def contact_seed(rng: random.Random, external_id: str, size: str, now: datetime) -> dict[str, Any]:
    """A realistic stored contact: profile, a few fields, one push channel, cart, recently viewed.

    ``size="typical"``: 6 recently viewed products; ``size="large"``: the list full (20, its cap),
    a bigger cart and a month of daily counters.
    """
    full = size == "large"
    viewed_count = 20 if full else 6
    at = [now - timedelta(hours=3 * i) for i in range(viewed_count)]
    viewed = []
    for ts in at:
        p = product(rng)
        viewed.append(
            {
                "productId": p["product_id"],
                "at": iso(ts),
                **{k: p[k] for k in ("name", "price", "currency", "url", "image")},
            }
        )
    cart_items = [
        {k: v for k, v in {**product(rng), "quantity": 1}.items() if k not in ("category", "image")}
        for _ in range(3 if full else 2)
    ]
    for item in cart_items:
        item["productId"] = item.pop("product_id")
    counters: dict[str, dict[str, int]] = {}
    for days_ago in range(0, 30 if full else 10, 2):
        day = (now - timedelta(days=days_ago)).strftime("%Y%m%d")
        for event_type, _w in EVENT_MIX[:3]:
            counters.setdefault(event_type, {})[day] = rng.randrange(1, 9)
    return {
        "profile": {
            "email": f"{external_id.lower()}@mail.example",
            "phone": f"+3805{rng.randrange(10_000_000, 99_999_999)}",
            "firstName": "Olena",
            "lastName": "Kovalenko",
            "languageCode": "uk",
            "timeZone": "Europe/Kyiv",
            "address": {"country": "UA", "town": "Kyiv", "street": "Khreshchatyk St, 22", "postcode": "01001"},
        },
        "fields": {"loyaltyTier": "gold", "birthday": "1990-04-12", "marketingOptIn": True, "shoeSize": 39.5},
        "channels": [
            {
                "type": "webpush",
                "value": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}{uuid.uuid4().hex}",
                "active": True,
            }
        ],
        "aggs": {
            "orders": {"count": 3, "revenue": {"EUR": "412.70"}, "firstAt": iso(now - timedelta(days=200))},
            "counters": counters,
            "viewed": viewed,
            "wishlist": [],
            "cart": {"cartId": uuid.uuid4().hex[:12], "items": cart_items, "currency": "EUR", "updatedAt": iso(at[0])},
            "firstSeenAt": iso(now - timedelta(days=400)),
            "lastSeenAt": iso(at[0]),
        },
    }


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# docs --------------------------------------------------------------------------------------------


def replace_section(path: Path, name: str, content: str, title: str = "# Benchmarks") -> None:
    """Write ``content`` between ``<!-- bench:NAME:start/end -->`` markers, leaving the rest alone."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{content.strip()}\n{end}"
    text = path.read_text() if path.exists() else f"{title}\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (also readable as plain text)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line: Callable[[list[str]], str] = lambda cells: (  # noqa: E731
        "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    )
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def queued_event(event: dict[str, Any], received_at: datetime) -> EventMsg:
    """The queue message Orbit's edge makes of a generated ``POST /v1/events`` item (real event, real body)."""
    return EventMsg(
        event=Event(
            eventId=event["eventId"],
            type=event["type"],
            identity=Identity(externalId=event["externalId"]),
            timestamp=datetime.fromisoformat(event["timestamp"]),
            receivedAt=received_at,
            properties=event["properties"],
            source="api",
        )
    )
