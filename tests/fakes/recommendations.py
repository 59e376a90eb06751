"""In-memory ``RecommendationStore``: each (model, key)'s list as given (scores rounded as the adapter stores
them), and each model's latest build time."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from chalicelib.ports import RecommendationStore
from chalicelib.recommendations.counts import Counts, KeptCounts
from chalicelib.recommendations.models import Scored


class FakeRecommendationStore:
    def __init__(self) -> None:
        self.lists: dict[tuple[str, str], list[Scored]] = {}
        self.builds: dict[str, str] = {}
        self.writes = 0  # lists written, for tests of what a rebuild wrote
        self.kept: tuple[str, str, str] | None = None  # counts as JSON, built_at, full_at

    def put(self, model: str, key: str, items: Sequence[Scored], built_at: str) -> None:
        self.lists[(model, key)] = [replace(s, score=float(f"{s.score:.6g}")) for s in items]
        self.builds[model] = built_at
        self.writes += 1

    def put_many(self, lists: Mapping[tuple[str, str], Sequence[Scored]], built_at: str) -> int:
        """One write unit per list and per model's build time (the adapter's lists are mostly that small)."""
        for (model, key), items in lists.items():
            self.put(model, key, items, built_at)
        return len(lists) + len({model for model, _ in lists})

    def get(self, model: str, key: str) -> list[Scored] | None:
        found = self.lists.get((model, key))
        return list(found) if found is not None else None

    def get_many(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Scored]]:
        return {key: list(self.lists[key]) for key in keys if key in self.lists}

    def built_at(self, model: str) -> str | None:
        return self.builds.get(model)

    def put_counts(self, kept: KeptCounts) -> int:
        """Kept as JSON (as the adapter keeps them), one write unit."""
        self.kept = (json.dumps(kept.counts.snapshot()), kept.built_at, kept.full_at)
        return 1

    def get_counts(self) -> KeptCounts | None:
        if self.kept is None:
            return None
        data, built_at, full_at = self.kept
        return KeptCounts(Counts.restore(json.loads(data)), built_at, full_at)


_recommendations: RecommendationStore = FakeRecommendationStore()
