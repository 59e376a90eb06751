"""Recommendations, offline (owns bench/recommendations.py): hit rate and NDCG at 6 of each model against the
bestsellers baseline, on a generated shop with planted preferences, and the build time of the lists.

The shop: top categories of leaf categories of products (brand, colour, a price level per leaf, some out of
stock), a few staples added to half the orders (a bestseller
bought with everything) and Zipf popularity for the rest, each product with a complement in another category
(bought in a later order) and a companion in its own leaf (viewed in the same session), and a few products that
became popular in the last week. Each shopper has two leaf categories of taste and browses mostly there.

Each shopper's last order is held out, and what led to it is planted by one of six scenarios, the data a model
is meant for: ``complement`` (the complement of an earlier purchase: bought together), ``taste`` (a product of a
taste category: personal, similar), ``viewed`` (a product viewed earlier and not bought: recently viewed),
``alternative`` (the shopper's last view was out of stock; a product like it is bought: alternatives),
``companion`` (the companion of the last product viewed: viewed together) and ``trend`` (trending). Every model
is asked as a shop would ask it (seeded by the last product viewed, the products of the last order, or the
whole history) after the
same filters (in stock, not bought before, 6 items), and scored on its scenario and on every shopper.

Usage: python -m bench.recommendations [SHOPPERS] [--build N] [--write]   (prints the docs/benchmarks.md section;
``--build N`` also times ``models.build`` on about N generated interactions and counts the write units of
storing the lists it makes, as the adapter counts them; ``--write`` writes the section).
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.common import DOCS, machine_note, replace_section, today
from chalicelib.catalog.models import Product
from chalicelib.clock import iso
from chalicelib.recommendations.counts import Counts, KeptCounts
from chalicelib.recommendations.filters import Filters, apply
from chalicelib.recommendations.interactions import Interaction
from chalicelib.recommendations.models import (
    ALL,
    Scored,
    build,
    category_key,
    personal,
    recently_viewed,
    related_lookup,
)
from chalicelib.recommendations.models import lists as lists_from_counts
from chalicelib.storage.recommendations import counts_items, items_write_units, list_items

K = 6
NOW = datetime(2026, 6, 1, tzinfo=UTC)
WRU_PRICE = 1.25 / 1_000_000  # USD per write request unit, on-demand list price (us-east-1)
DAYS = 60
TOPS = 8
LEAVES_PER_TOP = 4
SCENARIOS = ("complement", "taste", "viewed", "alternative", "companion", "trend")
MEANT_FOR = {
    "trending": "trend",
    "viewedTogether": "companion",
    "boughtTogether": "complement",
    "similar": "taste",
    "alternatives": "alternative",
    "personal": "taste",
    "recentlyViewed": "viewed",
}


@dataclass
class Shop:
    catalog: dict[str, Product]
    train: list[Interaction]
    held_out: dict[str, set[str]]  # contact -> products of its last order
    scenario: dict[str, str]  # contact -> what led to it
    history: dict[str, list[Interaction]] = field(default_factory=dict)


def _catalog(rng: random.Random, per_leaf: int) -> dict[str, Product]:
    catalog: dict[str, Product] = {}
    for t in range(TOPS):
        for leaf in range(LEAVES_PER_TOP):
            level = rng.uniform(10, 300)
            for n in range(per_leaf):
                pid = f"p{t}-{leaf}-{n}"
                catalog[pid] = Product(
                    productId=pid,
                    name=pid,
                    price=round(level * rng.uniform(0.6, 1.6), 2),
                    categoryPath=[f"top{t}", f"leaf{t}-{leaf}"],
                    brand=f"brand{t}-{rng.randrange(4)}",
                    inStock=rng.random() > 0.1,
                    attributes={"color": rng.choice(["red", "blue", "black", "white"])},
                )
    return catalog


class _Generator:
    def __init__(self, rng: random.Random, catalog: dict[str, Product]) -> None:
        self.rng = rng
        self.catalog = catalog
        ids = list(catalog)
        self.leaves: dict[str, list[str]] = {}
        for pid, p in catalog.items():
            self.leaves.setdefault(p.categoryPath[1], []).append(pid)
        order = ids[:]
        rng.shuffle(order)
        self.weight = {pid: 1.0 / (rank + 1) ** 0.8 for rank, pid in enumerate(order)}  # Zipf popularity
        self.complement = {pid: rng.choice([i for i in ids if i[:3] != pid[:3]]) for pid in ids[::1]}
        self.companion: dict[str, str] = {}
        for members in self.leaves.values():
            shuffled = members[:]
            rng.shuffle(shuffled)
            for a, b in zip(shuffled[0::2], shuffled[1::2], strict=False):
                self.companion[a], self.companion[b] = b, a
        self.trend = rng.sample([i for i in ids if catalog[i].inStock], 8)
        self.staples = rng.sample([i for i in ids if catalog[i].inStock and i not in self.trend], 3)
        self.out: list[Interaction] = []

    def pick(self, pool: Sequence[str], in_stock: bool = False) -> str:
        pool = [p for p in pool if self.catalog[p].inStock] if in_stock else list(pool)
        return self.rng.choices(pool, weights=[self.weight[p] for p in pool])[0]

    def add(self, who: str, pid: str, kind: str, at: datetime) -> None:
        self.out.append(Interaction(who, pid, kind, at))  # type: ignore[arg-type]

    def session(self, who: str, tastes: list[str], at: datetime, bought: list[str], viewed: list[str]) -> None:
        rng = self.rng
        if at > NOW - timedelta(days=7) and rng.random() < 0.3:
            leaf_pool = self.trend
        else:
            leaf = rng.choice(tastes) if rng.random() < 0.8 else rng.choice(list(self.leaves))
            leaf_pool = self.leaves[leaf]
        seen = []
        for n in range(rng.randint(2, 5)):
            pid = self.pick(leaf_pool)
            seen.append(pid)
            self.add(who, pid, "view", at + timedelta(minutes=n))
            if pid in self.companion and rng.random() < 0.6:
                seen.append(self.companion[pid])
                self.add(who, self.companion[pid], "view", at + timedelta(minutes=n, seconds=30))
        viewed.extend(seen)
        if rng.random() < 0.5:
            buy = [p for p in seen if self.catalog[p].inStock][:1]
            if bought and rng.random() < 0.4:
                buy.append(self.complement[rng.choice(bought)])
            staple = [rng.choice(self.staples)] if buy and rng.random() < 0.5 else []  # bought with everything
            for pid in buy + staple:
                self.add(who, pid, "cart", at + timedelta(minutes=8))
                self.add(who, pid, "purchase", at + timedelta(minutes=10))
            bought.extend(buy)


def generate(shoppers: int, seed: int = 7, per_leaf: int = 15) -> Shop:
    """A shop with ``shoppers`` shoppers (each with 3 to 8 earlier sessions and a held-out last order)."""
    rng = random.Random(seed)
    catalog = _catalog(rng, per_leaf)
    gen = _Generator(rng, catalog)
    held_out: dict[str, set[str]] = {}
    scenario: dict[str, str] = {}
    for s in range(shoppers):
        who = f"x#shopper{s}"
        tastes = rng.sample(list(gen.leaves), 2)
        bought: list[str] = []
        viewed: list[str] = []
        times = sorted(NOW - timedelta(days=DAYS) + timedelta(days=rng.uniform(0, DAYS - 2)) for _ in range(8))
        for at in times[: rng.randint(3, 8)]:
            gen.session(who, tastes, at, bought, viewed)
        last = NOW - timedelta(hours=rng.uniform(1, 36))
        kind = SCENARIOS[s % len(SCENARIOS)]
        target = _plant(gen, kind, who, tastes, bought, viewed, last)
        if target is None:
            continue
        held_out[who], scenario[who] = {target}, kind
    train = sorted(gen.out, key=lambda i: i.at)
    history: dict[str, list[Interaction]] = {}
    for one in train:
        history.setdefault(one.contact_key, []).append(one)
    return Shop(catalog, train, held_out, scenario, history)


def _plant(
    gen: _Generator, kind: str, who: str, tastes: list[str], bought: list[str], viewed: list[str], at: datetime
) -> str | None:
    """The product of the held-out order, after adding the train interactions that led to it."""
    stock = gen.catalog
    target: str | None
    if kind == "complement":
        target = gen.complement[bought[-1]] if bought else None
    elif kind == "taste":
        target = gen.pick(gen.leaves[gen.rng.choice(tastes)], in_stock=True)
    elif kind == "viewed":
        options = [v for v in viewed if v not in bought and stock[v].inStock]
        target = gen.rng.choice(options) if options else None
    elif kind == "alternative":
        gone = [p for p in gen.leaves[gen.rng.choice(tastes)] if not stock[p].inStock]
        if not gone:
            return None
        wanted = gen.rng.choice(gone)
        gen.add(who, wanted, "view", at - timedelta(minutes=5))
        same = [p for p in gen.leaves[stock[wanted].categoryPath[1]] if stock[p].inStock]
        target = min(same, key=lambda p: abs(math.log(float(stock[p].price) / float(stock[wanted].price))))
    elif kind == "companion":
        start = gen.pick(gen.leaves[gen.rng.choice(tastes)])
        gen.add(who, start, "view", at - timedelta(minutes=5))
        target = gen.companion.get(start)
    else:
        target = gen.rng.choice(gen.trend)
    if target is None or target in bought or not stock[target].inStock:
        return None
    return target


def ndcg(ranked: Sequence[str], relevant: set[str]) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, p in enumerate(ranked[:K]) if p in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return dcg / ideal if ideal else 0.0


@dataclass(frozen=True)
class Score:
    hit_rate: float
    ndcg: float
    shoppers: int


def _recommenders(shop: Shop, lists: dict[tuple[str, str], list[Scored]]) -> dict[str, Callable[[str], list[Scored]]]:
    related = related_lookup(lists)
    best = lists.get(("bestsellers", ALL), [])

    def top_of(product_id: str | None) -> str:
        product = shop.catalog.get(product_id or "")
        return product.categoryPath[0] if product and product.categoryPath else ""

    def last(who: str, kind: str) -> str | None:
        found = [i.product_id for i in shop.history.get(who, []) if i.kind == kind]
        return found[-1] if found else None

    def seeded(model: str, kind: str) -> Callable[[str], list[Scored]]:
        return lambda who: lists.get((model, last(who, kind) or ""), [])

    def last_order(who: str) -> list[Scored]:  # asked with every product of the order, as a cart page asks
        bought = [i for i in shop.history.get(who, []) if i.kind == "purchase"]
        together = related_lookup(lists, {"boughtTogether": 1.0})
        summed: dict[str, float] = {}
        for one in bought:
            if one.at == bought[-1].at:
                for s in together(one.product_id):
                    summed[s.product_id] = summed.get(s.product_id, 0.0) + s.score
        return [Scored(p, v) for p, v in sorted(summed.items(), key=lambda kv: -kv[1])]

    return {
        "bestsellers": lambda who: best,
        "categoryBestsellers": lambda who: lists.get(("bestsellers", category_key(top_of(last(who, "view")))), []),
        "trending": lambda who: lists.get(("trending", ALL), []),
        "viewedTogether": seeded("viewedTogether", "view"),
        "boughtTogether": last_order,
        "similar": seeded("similar", "view"),
        "alternatives": seeded("alternatives", "view"),
        "personal": lambda who: personal(shop.history.get(who, []), related, best, 50),
        "recentlyViewed": lambda who: recently_viewed(shop.history.get(who, []), 50),
    }


def evaluate(shop: Shop, lists: dict[tuple[str, str], list[Scored]]) -> dict[str, dict[str, Score]]:
    """model -> {"all": score on every shopper, scenario: score on that scenario's shoppers}."""
    out: dict[str, dict[str, Score]] = {}
    for model, recommend in _recommenders(shop, lists).items():
        per: dict[str, list[tuple[float, float]]] = {}
        for who, relevant in shop.held_out.items():
            purchased = {i.product_id for i in shop.history.get(who, []) if i.kind == "purchase"}
            shown = apply(recommend(who), shop.catalog, Filters(exclude_purchased=True, limit=K), purchased)
            ranked = [s.product_id for s in shown]
            result = (1.0 if set(ranked) & relevant else 0.0, ndcg(ranked, relevant))
            per.setdefault("all", []).append(result)
            per.setdefault(shop.scenario[who], []).append(result)
        out[model] = {
            key: Score(sum(h for h, _ in rs) / len(rs), sum(n for _, n in rs) / len(rs), len(rs))
            for key, rs in per.items()
        }
    return out


@dataclass(frozen=True)
class Timed:
    """A build of the big generated shop: its size, build time and the cost of storing its lists."""

    interactions: int
    products: int
    seconds: float
    items: int
    write_units: int
    counts_items: int  # keeping the counts for an incremental rebuild
    counts_write_units: int
    day: int  # interactions of the last day, added to counts kept a day earlier
    incremental_seconds: float
    differing: int  # lists whose products differ from the full build's


def storage_cost(lists: dict[tuple[str, str], list[Scored]], built_at: datetime) -> tuple[int, int]:
    """(items, write units) of storing ``lists`` with ``put_many``: the adapter's own items and counting."""
    items = list_items(lists, iso(built_at))
    return len(items), items_write_units(items)


def incremental(
    shop: Shop, now: datetime, full: dict[tuple[str, str], list[Scored]]
) -> tuple[int, int, int, float, int]:
    """(items, write units) of keeping the counts of ``shop`` as the rebuild keeps them, the interactions of the
    last day, and the time of an incremental rebuild adding them to counts kept a day before ``now`` (read back
    from their chunks, decayed, added to, lists read off)."""
    since = now - timedelta(days=1)
    counts = Counts(as_of=now - timedelta(days=DAYS + 1))
    counts.add(i for i in shop.train if i.at <= since)
    counts.prune()
    chunks = counts_items(KeptCounts(counts, iso(since), iso(since)))
    day = [i for i in shop.train if since < i.at <= now]
    started = time.perf_counter()
    packed = b"".join(bytes(c["b"]) for c in chunks[:-1])
    kept = Counts.restore(json.loads(zlib.decompress(packed)))
    kept.add(day)
    kept.decay_to(now)
    made = lists_from_counts(kept, shop.catalog)
    seconds = time.perf_counter() - started
    differ = sum(1 for key, found in full.items() if _ids(made.get(key, [])) != _ids(found))
    return len(chunks), items_write_units(chunks), len(day), seconds, differ


def _ids(found: Sequence[Scored]) -> list[str]:
    return [s.product_id for s in found]


def section(scores: dict[str, dict[str, Score]], shop: Shop, build_s: float, timed: Timed | None) -> str:
    base = scores["bestsellers"]
    rows = [
        "## Recommendations (offline)",
        "",
        f"`python -m bench.recommendations {len({i.contact_key for i in shop.train})} --build 1000000 --write`"
        " (rewrites this section): a generated shop of"
        f" {len(shop.catalog)} products and {len(shop.train)} interactions, each shopper's last order held out"
        " (module docstring of `bench/recommendations.py`). Every model is asked as a shop asks it and filtered"
        f" alike (in stock, not bought before, {K} items); hit rate and NDCG at {K}, on the shoppers whose held-out"
        " order a model is meant for, and on all shoppers; bestsellers is the baseline.",
        "",
        "| model | meant for | shoppers | hit@6 | NDCG@6 | bestsellers hit@6 | bestsellers NDCG@6 |"
        " category bestsellers hit@6 | all shoppers: hit@6 | all shoppers: NDCG@6 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for model, scenario in MEANT_FOR.items():
        mine, theirs, every = scores[model][scenario], base[scenario], scores[model]["all"]
        rows.append(
            f"| {model} | {scenario} | {mine.shoppers} | {mine.hit_rate:.3f} | {mine.ndcg:.3f} |"
            f" {theirs.hit_rate:.3f} | {theirs.ndcg:.3f} | {scores['categoryBestsellers'][scenario].hit_rate:.3f} |"
            f" {every.hit_rate:.3f} | {every.ndcg:.3f} |"
        )
    for model in ("bestsellers", "categoryBestsellers"):
        every = scores[model]["all"]
        rows.append(f"| {model} | all | {every.shoppers} | | | | | | {every.hit_rate:.3f} | {every.ndcg:.3f} |")
    rows += [
        "",
        f"Run {today()} on {machine_note()}. Building every list for this shop (`models.build`, one process, pure"
        f" Python) took {build_s:.1f} s.",
    ]
    if timed:
        rows.append(
            f"A full build from {timed.interactions:,} generated interactions and {timed.products:,} products took"
            f" {timed.seconds:.1f} s (`--build 1000000`). Storing its lists is {timed.items:,} items and"
            f" {timed.write_units:,} write units (`put_many`'s items, counted as the adapter counts them: 1 per"
            f" started KB), ${timed.write_units * WRU_PRICE:.4f} a rebuild at the on-demand list price of $1.25 per"
            f" million write request units, ${timed.write_units * WRU_PRICE * 24 * 30:.2f} a month rebuilt hourly"
            " (an overwrite costs the larger of the old and new item, about the same for lists of 50); these"
            " product ids are 6 to 8 characters, ids of 30 would double it."
        )
        rows.append(
            f"Keeping the counts for incremental rebuilds is {timed.counts_items:,} items and"
            f" {timed.counts_write_units:,} write units a save (compressed chunks of 300 KB and a manifest): the"
            " contacts' recent products the together models need make it larger than the lists, so the counts are"
            f" saved at most once a day (${timed.counts_write_units * WRU_PRICE * 30:.2f} a month; saved hourly it"
            f" would be ${timed.counts_write_units * WRU_PRICE * 24 * 30:.2f}), and the hourly runs in between start"
            " from the day's counts and read the events since them. An"
            f" incremental rebuild adding the last day's {timed.day:,} interactions to counts kept a day earlier"
            f" (reading them back from their chunks, decaying, adding, reading the lists off) took"
            f" {timed.incremental_seconds:.1f} s; {timed.differing:,} of its lists hold other products than the"
            " full build's (pruning drops weights decayed below 0.001)."
        )
    rows += [
        "",
        "Read these as a check that each model finds what it is built to find, not as the lift a real shop would"
        " see: the shop is generated, its preferences are planted, and its popularity is flat enough that global"
        " bestsellers rarely hit (the category bestsellers column is a stronger baseline). No public e-commerce"
        " interaction data set ships inside a package on the registries this project can use, so there is no"
        " figure on real data yet. The counts are plain dicts (`chalicelib/recommendations/counts.py`), no"
        " numpy or scipy in the Lambda bundle.",
    ]
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> None:
    shoppers = int(argv[0]) if argv and argv[0].isdigit() else 3000
    shop = generate(shoppers)
    started = time.perf_counter()
    lists = build(shop.train, shop.catalog, NOW)
    build_s = time.perf_counter() - started
    timed = None
    if "--build" in argv:
        wanted = int(argv[argv.index("--build") + 1])
        big = generate(max(1, wanted * shoppers // max(1, len(shop.train))), seed=11, per_leaf=40)
        started = time.perf_counter()
        big_lists = build(big.train, big.catalog, NOW)
        seconds = time.perf_counter() - started
        timed = Timed(
            len(big.train), len(big.catalog), seconds, *storage_cost(big_lists, NOW), *incremental(big, NOW, big_lists)
        )
    text = section(evaluate(shop, lists), shop, build_s, timed)
    if "--write" in argv:
        replace_section(DOCS / "benchmarks.md", "recommendations", text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
