"""Mergeable, time-decayed counts that the popularity and co-occurrence models are read from.

Every stored weight is its value at ``as_of``: an interaction at ``t`` adds ``w * 2 ** -((as_of - t) / half_life)``
and moving ``as_of`` forward multiplies every weight of one half-life by the same factor, so adding a new day's
interactions to yesterday's counts and decaying them to now equals counting everything again (within float
rounding), as long as the days are added in time order. ``snapshot``/``restore`` keep them between runs.

Co-occurrence is counted with plain dicts (sparse pair counts keyed by product pair) rather than a sparse-matrix
library: it is a handful of dict updates per interaction, it is incremental by construction, and it keeps numpy
and scipy (tens of MB) out of the Lambda bundle. Normalisation (cosine over the per-product counts) is done when
the lists are read (``models``).

- bestsellers: order lines per product, half-life ``BESTSELLER_HALF_LIFE``;
- trending: views, carts and purchases weighted ``ACTIVITY_WEIGHTS``, short half-life ``TRENDING_HALF_LIFE``;
- bought together: contacts who bought both (each contact's last ``MAX_PURCHASED`` distinct products);
- viewed together: products viewed within the same contact's last ``VIEW_WINDOW`` distinct views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from chalicelib.recommendations.interactions import Interaction, Kind

BESTSELLER_HALF_LIFE = timedelta(days=30)
TRENDING_HALF_LIFE = timedelta(days=3)
PAIR_HALF_LIFE = timedelta(days=90)
ACTIVITY_WEIGHTS: dict[Kind, float] = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
VIEW_WINDOW = 10  # distinct products a contact viewed recently: each new one pairs with these
MAX_PURCHASED = 50  # distinct products a contact bought that a new purchase pairs with
CART_REPEAT = timedelta(days=1)  # a product still in the cart is counted again only after this

Pair = tuple[str, str]  # (a, b) with a < b
K = TypeVar("K", str, Pair)


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _factor(elapsed: timedelta, half_life: timedelta) -> float:
    return float(2.0 ** (-(elapsed / half_life)))


@dataclass
class Counts:
    """The counts at ``as_of``; start with ``Counts(as_of=<any time before the first interaction>)``."""

    as_of: datetime
    bought: dict[str, float] = field(default_factory=dict)
    activity: dict[str, float] = field(default_factory=dict)
    buyers: dict[str, float] = field(default_factory=dict)
    bought_pairs: dict[Pair, float] = field(default_factory=dict)
    viewers: dict[str, float] = field(default_factory=dict)
    viewed_pairs: dict[Pair, float] = field(default_factory=dict)
    purchased: dict[str, dict[str, None]] = field(default_factory=dict)  # contact -> products, oldest first
    recent_views: dict[str, dict[str, None]] = field(default_factory=dict)  # contact -> products, oldest first
    carted: dict[str, dict[str, datetime]] = field(default_factory=dict)  # contact -> product -> last counted

    def decay_to(self, now: datetime) -> None:
        """Move ``as_of`` forward to ``now``, decaying every weight (never backwards)."""
        if now <= self.as_of:
            return
        elapsed = now - self.as_of
        for weights, half_life in self._weights():
            factor = _factor(elapsed, half_life)
            for k in weights:
                weights[k] *= factor
        self.as_of = now

    def add(self, interactions: Iterable[Interaction]) -> None:
        """Count a batch (a day, say); ``as_of`` moves to the latest one when it is later."""
        batch = sorted(interactions, key=lambda i: i.at)
        if batch:
            self.decay_to(batch[-1].at)
        for one in batch:
            self._add(one)

    def prune(self, below: float = 1e-3) -> None:
        """Forget weights decayed below ``below`` (they no longer change any list), and cart lines too old to
        stop a repeat from counting."""
        for weights, _ in self._weights():
            for k in [k for k, v in weights.items() if v < below]:
                del weights[k]
        for contact, lines in list(self.carted.items()):
            kept = {p: at for p, at in lines.items() if self.as_of - at < CART_REPEAT}
            if kept:
                self.carted[contact] = kept
            else:
                del self.carted[contact]

    def snapshot(self) -> dict[str, Any]:
        """The counts as JSON-able data for ``restore``: pairs as ``"a\\tb"`` (product ids hold no control
        characters), times as ISO 8601."""
        return {
            "asOf": self.as_of.isoformat(),
            "bought": self.bought,
            "activity": self.activity,
            "buyers": self.buyers,
            "boughtPairs": {f"{a}\t{b}": v for (a, b), v in self.bought_pairs.items()},
            "viewers": self.viewers,
            "viewedPairs": {f"{a}\t{b}": v for (a, b), v in self.viewed_pairs.items()},
            "purchased": {c: list(items) for c, items in self.purchased.items()},
            "recentViews": {c: list(items) for c, items in self.recent_views.items()},
            "carted": {c: {p: at.isoformat() for p, at in items.items()} for c, items in self.carted.items()},
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Counts:
        """The counts a ``snapshot`` holds."""

        def pairs(raw: dict[str, float]) -> dict[Pair, float]:
            return {pair(*key.split("\t", 1)): float(v) for key, v in raw.items()}

        return cls(
            as_of=datetime.fromisoformat(data["asOf"]),
            bought=dict(data["bought"]),
            activity=dict(data["activity"]),
            buyers=dict(data["buyers"]),
            bought_pairs=pairs(data["boughtPairs"]),
            viewers=dict(data["viewers"]),
            viewed_pairs=pairs(data["viewedPairs"]),
            purchased={c: dict.fromkeys(items) for c, items in data["purchased"].items()},
            recent_views={c: dict.fromkeys(items) for c, items in data["recentViews"].items()},
            carted={
                c: {p: datetime.fromisoformat(at) for p, at in items.items()} for c, items in data["carted"].items()
            },
        )

    def _weights(self) -> list[tuple[dict[Any, float], timedelta]]:
        return [
            (self.bought, BESTSELLER_HALF_LIFE),
            (self.activity, TRENDING_HALF_LIFE),
            (self.buyers, PAIR_HALF_LIFE),
            (self.bought_pairs, PAIR_HALF_LIFE),
            (self.viewers, PAIR_HALF_LIFE),
            (self.viewed_pairs, PAIR_HALF_LIFE),
        ]

    def _add(self, one: Interaction) -> None:
        age = self.as_of - one.at
        if one.kind == "cart" and not self._new_in_cart(one):
            return
        product = one.product_id
        _bump(self.activity, product, ACTIVITY_WEIGHTS[one.kind] * _factor(age, TRENDING_HALF_LIFE))
        pair_weight = _factor(age, PAIR_HALF_LIFE)
        if one.kind == "purchase":
            _bump(self.bought, product, _factor(age, BESTSELLER_HALF_LIFE))
            self._together(
                self.purchased, one.contact_key, product, MAX_PURCHASED, self.buyers, self.bought_pairs, pair_weight
            )
        # a purchase or a cart line was looked at too: all three feed "viewed together"
        self._together(
            self.recent_views, one.contact_key, product, VIEW_WINDOW, self.viewers, self.viewed_pairs, pair_weight
        )

    def _new_in_cart(self, one: Interaction) -> bool:
        """Cart Updated repeats the whole cart: a product counts again only ``CART_REPEAT`` after it last did."""
        seen = self.carted.setdefault(one.contact_key, {})
        last = seen.get(one.product_id)
        if last is not None and one.at - last < CART_REPEAT:
            return False
        seen[one.product_id] = one.at
        return True

    @staticmethod
    def _together(
        held: dict[str, dict[str, None]],
        contact: str,
        product: str,
        keep: int,
        singles: dict[str, float],
        pairs: dict[Pair, float],
        weight: float,
    ) -> None:
        """Pair ``product`` with the contact's other held products the first time it joins them."""
        items = held.setdefault(contact, {})
        if product in items:
            del items[product]  # seen again: it becomes the newest, no new pairs
            items[product] = None
            return
        _bump(singles, product, weight)
        for other in items:
            _bump(pairs, pair(product, other), weight)
        items[product] = None
        if len(items) > keep:
            del items[next(iter(items))]


def _bump(weights: dict[K, float], key: K, by: float) -> None:
    weights[key] = weights.get(key, 0.0) + by


@dataclass(frozen=True)
class KeptCounts:
    """Counts a rebuild kept for the next one: ``built_at`` (ISO) the rebuild that kept them, ``full_at`` (ISO)
    the full rebuild they descend from (incremental rebuilds since only added to them)."""

    counts: Counts
    built_at: str
    full_at: str
