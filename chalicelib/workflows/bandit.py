"""The "one from many" choice: Thompson sampling over each variant's click rate, skipping the variants a contact
got within the repeat window (when every variant was sent recently, the one sent longest ago).

A variant with sends ``n`` and clicks ``k`` draws from Beta(1 + k, 1 + n - k): untried variants are explored, and
as evidence grows the share of the better one converges toward all of it. The caller hands in its random source,
seeded by the journey step, so a retried task chooses the same variant.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def choose(
    candidates: Sequence[str],
    stats: Mapping[str, tuple[int, int]],
    recent: Mapping[str, str],
    not_since: str | None,
    rng: random.Random,
) -> str:
    """One of ``candidates``: ``stats`` gives (sends, clicks) per variant, ``recent`` when the contact last got each,
    ``not_since`` (ISO) the start of the repeat window (None: repeats allowed)."""
    if not candidates:
        raise ValueError("no variant to choose from")
    allowed = [c for c in candidates if not_since is None or recent.get(c, "") < not_since]
    if not allowed:
        return min(candidates, key=lambda c: (recent.get(c, ""), c))
    best, best_draw = allowed[0], -1.0
    for variant in sorted(allowed):
        sends, clicks = stats.get(variant, (0, 0))
        clicks = max(0, min(clicks, sends))
        draw = rng.betavariate(1 + clicks, 1 + sends - clicks)
        if draw > best_draw:
            best, best_draw = variant, draw
    return best
