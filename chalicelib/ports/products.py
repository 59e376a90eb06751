"""Ports of recommendations: the precomputed lists and who showed interest in a product."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.recommendations.counts import KeptCounts
from chalicelib.recommendations.models import Scored


class RecommendationStore(Protocol):
    """Precomputed recommendation lists (``services/recommendations/build.py`` writes them, ``serve.py`` reads
    them), one per (model, key): ``("bestsellers", "*")``, ``("bestsellers", "cat:<category>")``,
    ``("viewedTogether", <product id>)``, ... A rebuild overwrites the lists it makes; one it no longer makes
    expires some days after its last write."""

    def put(self, model: str, key: str, items: Sequence[Scored], built_at: str) -> None:
        """Replace the list of (model, key) with ``items`` (kept in their order) and note ``built_at`` (ISO) as the
        model's latest build."""
        ...

    def put_many(self, lists: Mapping[tuple[str, str], Sequence[Scored]], built_at: str) -> int:
        """``put`` every list, in batched writes (unconditional: the last writer wins); returns the write units
        spent (at least one per list)."""
        ...

    def get(self, model: str, key: str) -> list[Scored] | None:
        """The stored list in its order (None: none stored for this key)."""
        ...

    def get_many(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Scored]]:
        """The stored lists among ``keys`` (model, key), in batched reads; keys with none are left out."""
        ...

    def built_at(self, model: str) -> str | None:
        """When the model's latest stored build was made (None: never)."""
        ...

    def put_counts(self, kept: KeptCounts) -> int:
        """Keep the counts a rebuild ended with for the next one, replacing those kept; returns the write units
        spent. A reader never sees them half-written."""
        ...

    def get_counts(self) -> KeptCounts | None:
        """The kept counts (None: none kept, or the kept ones cannot be read whole)."""
        ...


class InterestIndex(Protocol):
    """Who showed interest in a product lately (viewed, carted or wishlisted it), one small item per (product,
    contact) in the products table that expires ``INTEREST_DAYS`` after its latest interest; read to fan out a
    price drop or a back-in-stock without scanning the contacts (``services/interest.py``)."""

    def note(self, entries: Sequence[tuple[str, str, datetime]]) -> None:
        """Record each ``(product id, contact key, at)`` (aware UTC) in batched writes; the latest ``at`` of a
        pair wins within the batch, and a later batch overwrites an earlier one."""
        ...

    def forget(self, entries: Sequence[tuple[str, str]]) -> None:
        """Drop each ``(product id, contact key)`` (a purchase ends the interest); absent pairs are fine."""
        ...

    def interested(
        self, product_id: str, since: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        """Up to ``limit`` contact keys interested in the product at or after ``since``, and a cursor for the next
        page (None: no more); a page may hold fewer while more follow. A cursor not from this listing is
        InvalidInput."""
        ...
