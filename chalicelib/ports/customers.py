"""Ports of contacts and what they did: contacts, events, orders, keys, field declarations, imports, the catalog and
its feeds, erasure suppressions and merges."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from chalicelib.auth.keys import ApiKey
from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Download, Product, StoredProduct
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event

Order = dict[str, Any]


class ContactStore(Protocol):
    """Contacts, provisional profiles and alias links, keyed by contact key, with optimistic versions."""

    def load(self, key: str) -> ContactRecord | None: ...

    def load_many(self, keys: list[str]) -> dict[str, ContactRecord]:
        """The stored records among ``keys`` (missing ones left out)."""
        ...

    def save(self, rec: ContactRecord, old: ContactRecord | None) -> None:
        """Write ``rec`` if the stored version is still ``old``'s (absent when ``old`` is None); sets
        ``rec.version``. Raises Conflict otherwise and writes nothing."""
        ...

    def delete(self, rec: ContactRecord) -> None: ...

    def scan(self, segment: int = 0, total_segments: int = 1) -> Iterator[ContactRecord]:
        """One of ``total_segments`` disjoint parts of all records; together they are all of them."""
        ...

    def scan_part(
        self, part: int, parts: int, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """One page of parallel-scan segment ``part`` of ``parts``: up to ``limit`` items read, of which the known
        contacts (a page may hold fewer, even none, while more follow), and where the part goes on (None: it
        ends). Together the parts hold every known contact once. ``start`` must be one this method returned
        for the same part, else InvalidInput."""
        ...

    def find(self, attr: str, value: str) -> list[ContactRecord]:
        """Known contacts (never provisional profiles) whose ``email`` or ``phone`` is ``value``,
        most recently updated first (on AWS from an eventually consistent index)."""
        ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        created: tuple[str | None, str | None] = (None, None),
        updated: tuple[str | None, str | None] = (None, None),
        fields: dict[str, Any] | None = None,
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """Up to ``limit`` known contacts (never profiles or aliases) in storage order (unordered), and where the
        next page starts (None: no more). ``created``/``updated`` are inclusive ISO-text bounds (None: open);
        ``fields`` must all equal (a list field: contain) the value. A page may hold fewer than ``limit`` while
        more follow. ``start`` must be one this method returned, else InvalidInput."""
        ...


class EventLog(Protocol):
    """Each contact's events, at most once per event id and time."""

    def insert(self, contact_key: str, event: Event) -> Event | None:
        """Store the event and return None; when this contact already has it (same id and timestamp), write
        nothing and return the stored event (its ``receivedAt`` is when it was stored)."""
        ...

    def activity(self, contact_key: str, limit: int, cursor: str | None = None) -> tuple[list[Event], str | None]:
        """Up to ``limit`` events newest first (by event time), and a cursor for the next page or None.
        A cursor from another contact or not from this log is InvalidInput."""
        ...

    def move_all(self, from_key: str, to_key: str) -> int:
        """Move every event of one contact to another (idempotent); returns how many moved."""
        ...

    def delete_all(self, contact_key: str) -> int: ...

    def since(self, contact_key: str, start: datetime) -> Iterator[Event]:
        """Every event of the contact timed at or after ``start``, oldest first (the event history segments
        backfill counters from; a columnar archive may serve it later)."""
        ...


class OrderStore(Protocol):
    """Orders keyed by ``externalOrderId`` with an optimistic version ``ver``."""

    def load(self, order_id: str) -> Order | None: ...

    def save(self, order: Order, old: Order | None) -> None:
        """Write ``order`` if the stored version is still ``old``'s; sets ``order["ver"]``. Conflict otherwise."""
        ...

    def restore(self, old: Order | None, written: Order) -> None:
        """Undo a ``save`` of ``written`` (whose contact update failed): back to ``old``, or gone."""
        ...

    def for_contact(self, contact_key: str) -> list[Order]: ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        contact_key: str | None = None,
        status: str | None = None,
        dates: tuple[datetime | None, datetime | None] = (None, None),
    ) -> tuple[list[Order], dict[str, Any] | None]:
        """Up to ``limit`` stored orders (unordered; of ``contact_key`` only when given), with ``status`` and a
        ``date`` (as sent, compared as a time) within the inclusive ``dates`` bounds, and where the next
        page starts (None: no more). A page may hold fewer than ``limit`` while more follow. ``start`` must be
        one this method returned for the same ``contact_key``, else InvalidInput."""
        ...

    def delete(self, order: Order) -> None: ...


class KeyStore(Protocol):
    """API keys by the SHA-256 digest of the plaintext (the plaintext is never stored)."""

    def add_key(self, key: ApiKey) -> None: ...

    def key(self, key_hash: str) -> ApiKey | None:
        """The key with this digest; may be served from a short cache (a key created or revoked elsewhere can
        take that long to be seen)."""
        ...

    def all_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key: ApiKey, at: str) -> None: ...


class FieldStore(Protocol):
    """Declared additional contact fields."""

    def add_field(self, decl: FieldDeclaration) -> None:
        """Declare a field once; Conflict when the name is taken."""
        ...

    def fields(self) -> dict[str, FieldDeclaration]: ...

    def update_field(self, decl: FieldDeclaration) -> None:
        """Replace a declared field's declaration; NotFound when it is not declared."""
        ...

    def remove_field(self, name: str) -> None:
        """Remove a declaration; NotFound when it is not declared. Contacts' values are not touched."""
        ...


class ImportJobStore(Protocol):
    """Contact import jobs and the outcome of each chunk, recorded once."""

    def create_import(self, import_id: str, job: dict[str, Any]) -> None: ...

    def import_job(self, import_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The job (None if unknown) and its finished chunks, each with ``chunk``, ``ok`` and ``errors``."""
        ...

    def finish_chunk(self, import_id: str, chunk: int, result: dict[str, Any]) -> bool:
        """Record a chunk's outcome once; False if it was already recorded."""
        ...


class Catalog(Protocol):
    """Products and their price/stock history."""

    def get(self, product_id: str) -> StoredProduct | None: ...

    def get_many(self, product_ids: Iterable[str]) -> dict[str, StoredProduct]: ...

    def history(self, product_id: str, version: int | None = None, limit: int | None = None) -> list[ProductChange]:
        """Committed changes oldest first (the newest ``limit``); changes of versions past ``version`` never
        happened and are not shown."""
        ...

    def save(
        self, product: Product, old: StoredProduct | None, changes: list[ProductChange], now: datetime
    ) -> StoredProduct:
        """Write the product and its changes if the stored version is still ``old``'s; Conflict otherwise
        (and no history is left behind)."""
        ...

    def save_many(self, rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]], now: datetime) -> None:
        """Bulk write; unconditional (the last writer wins)."""
        ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        category: str | None = None,
        in_stock: bool | None = None,
    ) -> tuple[list[StoredProduct], dict[str, Any] | None]:
        """Up to ``limit`` current products (unordered) whose ``categoryPath`` holds ``category`` at any level and
        whose ``inStock`` is ``in_stock`` (None: any), and where the next page starts (None: no more). A page may
        hold fewer than ``limit`` while more follow. ``start`` must be one this method returned, else
        InvalidInput."""
        ...


class FeedDownloader(Protocol):
    """Fetches a product feed by URL under the platform's network rules."""

    def download(self, url: str, *, allow_private: bool = False) -> Download:
        """The body, type and final URL; InvalidInput for a bad, private or failing URL, PayloadTooLarge."""
        ...


class Suppressions(Protocol):
    """Identifiers an erasure suppressed, by digest (``contacts/identifiers.digest``; never the identifier itself):
    the consumer drops what names them until an explicit ``PUT /v1/contacts/{id}`` lifts them."""

    def suppress(self, digests: Collection[str], at: str) -> None:
        """Add ``digests`` (suppressing one again keeps it suppressed)."""
        ...

    def suppressed(self, digests: Collection[str]) -> set[str]:
        """Which of ``digests`` are suppressed, in batched reads (on AWS eventually consistent)."""
        ...

    def lift(self, digests: Collection[str]) -> None:
        """Remove ``digests`` from the list; ones not on it are ignored."""
        ...


class ContactMerges(Protocol):
    """Turning a known contact into an alias of another, which must never race a merge the other way."""

    def retire(self, alias: ContactRecord, old: ContactRecord, target: ContactRecord) -> None:
        """Write ``alias`` over ``old`` (the same key; as ``ContactStore.save``, setting ``alias.version``) only if
        the stored ``old`` and ``target`` are both still at their versions; Conflict otherwise, writing nothing."""
        ...
