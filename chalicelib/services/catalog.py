"""Catalog use cases: upsert one product, import a feed, and enrich tracked events from the catalog.

* ``upsert_product`` is idempotent: the same data writes nothing and records no history.
* ``import_feed`` reports bad rows per row and writes the good ones with batch writes (history first).
* ``import_feed_from_url`` downloads through the ``FeedDownloader`` port, then imports.
* ``enrich`` fills what an event left out about the products it names (name, price, currency, url, image,
  category, in_stock) from the catalog: what the event says always wins.
* Every save that dropped a product's price or put it back in stock queues one ``productAlert``
  (``services/interest.py``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from chalicelib.catalog.enrichment import enrich_event, product_ids
from chalicelib.catalog.feeds import FeedFormat, RowError, detect_format, parse_feed
from chalicelib.catalog.history import ProductChange, diff_product
from chalicelib.catalog.models import Product, StoredProduct
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.events.models import Enricher, Event
from chalicelib.ports import Ports
from chalicelib.services.interest import publish_alerts

ATTEMPTS = 4
CHUNK = 100  # BatchGetItem's limit


class ImportResult(BaseModel):
    imported: int = Field(description="Products created or changed")
    unchanged: int = Field(description="Products already in the catalog exactly as sent")
    errors: list[RowError] = Field(default_factory=list, description="Rejected rows, each with its problems")


# --- upsert / read -------------------------------------------------------------------------------------------


def upsert_product(ports: Ports, product_id: str, product: Product) -> tuple[StoredProduct, bool, list[ProductChange]]:
    """Create or replace one product; returns (stored product, created, recorded changes)."""
    if product.productId != product_id:
        raise InvalidInput(
            "The product id in the body does not match the path",
            [ErrorDetail("productId", f"must equal {product_id!r} or be left out")],
        )
    store = ports.catalog
    for _attempt in range(ATTEMPTS):
        old = store.get(product_id)
        if old is not None and old.product == product:
            return old, False, []
        now = ports.clock.now()
        changes = diff_product(old.product if old else None, product, now)
        try:
            saved = store.save(product, old, changes, now)
        except Conflict:
            continue  # someone else wrote it in between: diff against their version
        publish_alerts(ports, [(changes, saved.version)])
        return saved, old is None, changes
    raise Conflict(f"Product {product_id!r} kept changing; try again")


def get_product(ports: Ports, product_id: str) -> StoredProduct:
    found = ports.catalog.get(product_id)
    if found is None:
        raise NotFound(f"No product with id {product_id!r}")
    return found


def history(ports: Ports, product: StoredProduct, limit: int | None = None) -> list[ProductChange]:
    return ports.catalog.history(product.product.productId, product.version, limit)


# --- feed import ---------------------------------------------------------------------------------------------


def import_feed(ports: Ports, data: bytes | str, fmt: FeedFormat) -> ImportResult:
    """Parse a feed and write its good rows; when a product id repeats, its last row wins."""
    parsed = parse_feed(data, fmt)
    latest: dict[str, Product] = {}
    for product in parsed.products:
        latest.pop(product.productId, None)
        latest[product.productId] = product
    store = ports.catalog
    now = ports.clock.now()
    imported = unchanged = 0
    ids = list(latest)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        current = store.get_many(chunk)
        rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]] = []
        for product_id in chunk:
            new, old = latest[product_id], current.get(product_id)
            if old is not None and old.product == new:
                unchanged += 1
                continue
            rows.append((new, old, diff_product(old.product if old else None, new, now)))
        store.save_many(rows, now)
        publish_alerts(ports, [(changes, old.version + 1 if old else 1) for _new, old, changes in rows])
        imported += len(rows)
    return ImportResult(imported=imported, unchanged=unchanged, errors=parsed.errors)


def import_feed_from_url(ports: Ports, url: str, fmt: FeedFormat | None = None) -> ImportResult:
    """Download a feed (under the downloader's network rules) and import it; the format is detected when
    not given."""
    downloaded = ports.downloader.download(url, allow_private=ports.settings.allow_private_webhooks)
    found = fmt or detect_format(downloaded.content_type, downloaded.url, downloaded.body[:4096])
    return import_feed(ports, downloaded.body, found)


# --- enrichment ----------------------------------------------------------------------------------------------


def enrich(ports: Ports, events: list[Event], cache: dict[str, Product | None] | None = None) -> list[Event]:
    """New events with catalog fields filled in; one BatchGetItem for the ids not in ``cache`` yet."""
    cache = {} if cache is None else cache
    wanted = [i for e in events for i in product_ids(e) if i not in cache]
    if wanted:
        found = ports.catalog.get_many(wanted)
        for product_id in wanted:
            stored = found.get(product_id)
            cache[product_id] = stored.product if stored else None
    return [enrich_event(event, cache) for event in events]


def enricher(ports: Ports) -> Enricher:
    """The consumer's enrich hook: catalog lookups cached for the enricher's life (one queue batch)."""
    cache: dict[str, Product | None] = {}

    def run(events: list[Event]) -> list[Event]:
        return enrich(ports, events, cache)

    return run
