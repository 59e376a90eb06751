"""The recommendation models: precomputed lists by (model, key), and the two models answered per contact.

``build`` (or ``Counts`` kept between runs plus ``lists``) precomputes, each list best first:

- ``bestsellers`` and ``trending`` for ``"*"`` and ``"cat:<top category>"``: time-decayed order lines (half-life
  30 days), and weighted views, carts and purchases with a 3-day half-life (``counts``);
- ``viewedTogether`` and ``boughtTogether`` for each product: item-to-item co-occurrence normalised by cosine,
  ``c(x, y) / sqrt(n(x) n(y))``, and shrunk by ``c / (c + PAIR_SHRINK)`` so one shared buyer is weak evidence;
  a bestseller bought with everything has a large ``n`` and so does not top every list;
- ``similar`` for each product: content similarity (category, brand, attributes, price band; ``similarity``);
- ``alternatives`` for each product: ``similar`` among products in stock (what to offer when it is not).

``personal`` and ``recently_viewed`` need the contact's own history, so they are answered at request time from
it and the precomputed item-to-item lists (``related_lookup``).

No numpy, scipy or scikit-learn: the co-occurrence counts are sparse dicts kept incrementally (``counts`` says
why), cosine over them is one pass over the pairs, and content similarity compares catalog fields that a
vectoriser would first have to encode; a full build from 1M interactions takes seconds (docs/benchmarks.md).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.catalog.models import Product
from chalicelib.recommendations.counts import Counts, Pair
from chalicelib.recommendations.interactions import Interaction, Kind
from chalicelib.recommendations.similarity import neighbours, top_category

MODELS = (
    "bestsellers",
    "trending",
    "viewedTogether",
    "boughtTogether",
    "similar",
    "alternatives",
    "personal",
    "recentlyViewed",
)
ALL = "*"
CATEGORY_PREFIX = "cat:"
PAIR_SHRINK = 2.0
COLD_START_SHARE = 1e-3  # products never bought rank among bestsellers by activity, below every bought one
HISTORY_WEIGHTS: dict[Kind, float] = {"view": 1.0, "cart": 2.0, "purchase": 3.0}
HISTORY_HALF_LIFE = timedelta(days=30)
MAX_SEEDS = 50  # most recent distinct products of a history that personal recommendations start from
RELATED_WEIGHTS = {"boughtTogether": 1.0, "viewedTogether": 1.0, "similar": 0.5}

Lists = dict[tuple[str, str], list["Scored"]]


@dataclass(frozen=True)
class Scored:
    product_id: str
    score: float


def category_key(category: str) -> str:
    return CATEGORY_PREFIX + category


def build(
    interactions: Iterable[Interaction], catalog: Mapping[str, Product], now: datetime, per_key: int = 50
) -> Lists:
    """Every precomputed list from all interactions up to ``now`` (a full rebuild)."""
    counts = Counts(as_of=datetime.min.replace(tzinfo=now.tzinfo))
    counts.add(i for i in interactions if i.at <= now)
    counts.decay_to(now)
    return lists(counts, catalog, per_key)


def lists(counts: Counts, catalog: Mapping[str, Product], per_key: int = 50) -> Lists:
    """The precomputed lists read off ``counts`` (decay them to now first) and the catalog."""
    out: Lists = {}
    out.update(_popular("bestsellers", _bestseller_scores(counts), catalog, per_key))
    out.update(_popular("trending", counts.activity, catalog, per_key))
    for model, singles, pairs in (
        ("viewedTogether", counts.viewers, counts.viewed_pairs),
        ("boughtTogether", counts.buyers, counts.bought_pairs),
    ):
        for product, items in _co_occurring(singles, pairs, per_key).items():
            out[(model, product)] = items
    for model, in_stock_only in (("similar", False), ("alternatives", True)):
        for product, found in neighbours(catalog, per_key, in_stock_only=in_stock_only).items():
            out[(model, product)] = [Scored(p, round(s, 6)) for p, s in found]
    return out


def _bestseller_scores(counts: Counts) -> dict[str, float]:
    scores = dict(counts.bought)
    most = max(counts.activity.values(), default=0.0)
    floor = min(scores.values(), default=1.0) * COLD_START_SHARE
    for product, active in counts.activity.items():
        if product not in scores and most > 0:
            scores[product] = floor * active / most
    return scores


def _top(scores: Iterable[tuple[str, float]], n: int) -> list[Scored]:
    best = heapq.nsmallest(n, ((-s, p) for p, s in scores if s > 0))
    return [Scored(p, -s) for s, p in best]


def _popular(model: str, scores: Mapping[str, float], catalog: Mapping[str, Product], per_key: int) -> Lists:
    by_category: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for product_id, score in scores.items():
        product = catalog.get(product_id)
        top = top_category(product) if product else None
        if top is not None:
            by_category[top].append((product_id, score))
    out: Lists = {(model, ALL): _top(scores.items(), per_key)}
    for category, found in by_category.items():
        out[(model, category_key(category))] = _top(found, per_key)
    return out


def _co_occurring(singles: Mapping[str, float], pairs: Mapping[Pair, float], per_key: int) -> dict[str, list[Scored]]:
    """Cosine of the co-occurrence counts, shrunk towards 0 for pairs seen rarely."""
    related: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (a, b), together in pairs.items():
        norm = math.sqrt(max(singles.get(a, 0.0), together) * max(singles.get(b, 0.0), together))
        score = together / norm * together / (together + PAIR_SHRINK) if norm > 0 else 0.0
        related[a].append((b, score))
        related[b].append((a, score))
    return {product: _top(found, per_key) for product, found in related.items()}


def related_lookup(
    lists: Mapping[tuple[str, str], Sequence[Scored]], weights: Mapping[str, float] = RELATED_WEIGHTS
) -> Callable[[str], list[Scored]]:
    """The products related to one product for ``personal``: the item-to-item lists of ``weights``' models, each
    scaled to a best score of 1 and weighted, summed by product."""

    def related(product_id: str) -> list[Scored]:
        summed: dict[str, float] = defaultdict(float)
        for model, weight in weights.items():
            found = lists.get((model, product_id), ())
            best = max((s.score for s in found), default=0.0)
            for s in found:
                summed[s.product_id] += weight * s.score / best if best > 0 else 0.0
        return _top(summed.items(), len(summed))

    return related


def _seeds(history: Sequence[Interaction]) -> dict[str, float]:
    latest = max(i.at for i in history)
    weights: dict[str, float] = defaultdict(float)
    for one in history:
        weights[one.product_id] += HISTORY_WEIGHTS[one.kind] * float(2.0 ** -((latest - one.at) / HISTORY_HALF_LIFE))
    return dict(heapq.nlargest(MAX_SEEDS, weights.items(), key=lambda kv: (kv[1], kv[0])))


def personal(
    history: Sequence[Interaction],
    related: Callable[[str], Sequence[Scored]],
    fallback: Sequence[Scored],
    limit: int,
) -> list[Scored]:
    """Up to ``limit`` products for a contact: the products related (``related``, e.g. ``related_lookup``) to
    what it viewed, carted and bought, weighted by kind and recency (half-life 30 days): a product it viewed may
    come back when it is related to others it looked at; leaving out what it bought is ``Filters``' job. Filled
    up from ``fallback`` (bestsellers) with lower scores, so a contact with no history gets the bestsellers. Ask
    for more than will be shown when filters follow."""
    scores: dict[str, float] = defaultdict(float)
    if history:
        for seed, weight in _seeds(history).items():
            for s in related(seed):
                scores[s.product_id] += weight * s.score
    picked = _top(scores.items(), limit)
    taken = {s.product_id for s in picked}
    rest = [s for s in fallback if s.product_id not in taken][: limit - len(picked)]
    if not rest:
        return picked
    ceiling = picked[-1].score if picked else 1.0
    best = max(max(s.score for s in rest), 1e-12)
    return picked + [Scored(s.product_id, ceiling * 0.5 * s.score / best) for s in rest]


def recently_viewed(history: Sequence[Interaction], limit: int) -> list[Scored]:
    """The distinct products the contact viewed, most recent first; the score is the view's Unix time."""
    last: dict[str, datetime] = {}
    for one in history:
        if one.kind == "view" and (one.product_id not in last or one.at > last[one.product_id]):
            last[one.product_id] = one.at
    ranked = sorted(last.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:limit]
    return [Scored(p, at.timestamp()) for p, at in ranked]
