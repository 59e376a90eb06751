"""RecommendationStore: a list reads back in its order, a put replaces the list, batched puts write every list
(past one batch) and each model's build time, lists and builds are kept apart by model and key, the lists
leave the catalog's listing alone, and kept counts read back whole (never half-written)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.catalog.models import Product
from chalicelib.ports import Catalog, Ports, RecommendationStore
from chalicelib.recommendations.counts import Counts, KeptCounts
from chalicelib.recommendations.interactions import Interaction
from chalicelib.recommendations.models import Scored
from chalicelib.storage import recommendations as adapter
from tests.fakes import NOW

T1 = "2026-11-27T11:00:00.000Z"
T2 = "2026-11-27T12:00:00.000Z"


@pytest.fixture
def store(wired: Ports) -> RecommendationStore:
    return wired.recommendations


def scored(*pairs: tuple[str, float]) -> list[Scored]:
    return [Scored(p, s) for p, s in pairs]


def test_a_list_reads_back_in_its_order(store):
    store.put("viewedTogether", "p-1", scored(("p-3", 0.25), ("p-2", 0.75), ("p-9", 0.125)), T1)
    assert store.get("viewedTogether", "p-1") == scored(("p-3", 0.25), ("p-2", 0.75), ("p-9", 0.125))


def test_a_key_never_written_has_no_list_and_a_model_never_built_no_time(store):
    assert store.get("bestsellers", "*") is None
    assert store.built_at("bestsellers") is None


def test_a_put_replaces_the_list_and_notes_the_build(store):
    store.put("bestsellers", "*", scored(("a", 3.0), ("b", 2.0)), T1)
    store.put("bestsellers", "*", scored(("c", 1.5)), T2)
    assert store.get("bestsellers", "*") == scored(("c", 1.5))
    assert store.built_at("bestsellers") == T2


def test_an_empty_list_is_stored_as_empty(store):
    store.put("similar", "p-1", [], T1)
    assert store.get("similar", "p-1") == []


def test_scores_keep_six_significant_digits(store):
    store.put("trending", "*", scored(("a", 0.123456789), ("b", 12345.678)), T1)
    assert [s.score for s in store.get("trending", "*")] == [0.123457, 12345.7]


def test_put_many_writes_every_list_past_one_batch_and_each_models_build(store):
    lists = {("boughtTogether", f"p-{n}"): scored((f"q-{n}", n + 0.5)) for n in range(30)}
    lists[("bestsellers", "cat:Coffee")] = scored(("p-1", 9.0))
    units = store.put_many(lists, T2)
    assert units >= len(lists)
    assert all(store.get(model, key) == found for (model, key), found in lists.items())
    assert (store.built_at("boughtTogether"), store.built_at("bestsellers"), store.built_at("similar")) == (
        T2,
        T2,
        None,
    )


def test_get_many_answers_the_stored_lists_among_the_keys(store):
    store.put("viewedTogether", "p-1", scored(("p-2", 1.0)), T1)
    store.put("boughtTogether", "p-1", scored(("p-3", 2.0)), T1)
    found = store.get_many([("viewedTogether", "p-1"), ("boughtTogether", "p-1"), ("similar", "p-1")])
    assert found == {("viewedTogether", "p-1"): scored(("p-2", 1.0)), ("boughtTogether", "p-1"): scored(("p-3", 2.0))}
    assert store.get_many([]) == {}


def test_models_and_keys_are_kept_apart(store):
    store.put("viewedTogether", "p-1", scored(("a", 1.0)), T1)
    store.put("boughtTogether", "p-1", scored(("b", 1.0)), T2)
    store.put("viewedTogether", "p-1#x", scored(("c", 1.0)), T2)
    assert store.get("viewedTogether", "p-1") == scored(("a", 1.0))
    assert store.get("boughtTogether", "p-1") == scored(("b", 1.0))
    assert store.built_at("viewedTogether") == T2


def test_lists_leave_the_catalog_alone(wired: Ports, store):
    catalog: Catalog = wired.catalog
    catalog.save(Product(productId="p-1", name="Beans", price=10), None, [], NOW)
    store.put("similar", "p-1", scored(("p-2", 1.0)), T1)
    store.put_many({("bestsellers", "*"): scored(("p-1", 1.0))}, T1)
    page, _ = catalog.page(100)
    assert [p.product.productId for p in page] == ["p-1"]
    assert catalog.get("R#similar#p-1") is None


def kept_counts(built_at: str, products: int = 3) -> KeptCounts:
    counts = Counts(as_of=NOW - timedelta(days=1))
    counts.add(
        Interaction(f"k#c{n % 7}", f"product-{n}", "purchase" if n % 3 else "view", NOW - timedelta(minutes=n))
        for n in range(products)
    )
    return KeptCounts(counts, built_at, T1)


def test_no_counts_are_kept_until_put(store):
    assert store.get_counts() is None


def test_kept_counts_read_back_as_they_were_put(store):
    kept = kept_counts(T2)
    store.put_counts(kept_counts(T1))
    units = store.put_counts(kept)
    found = store.get_counts()
    assert units >= 1
    assert (found.built_at, found.full_at, found.counts.snapshot()) == (T2, T1, kept.counts.snapshot())


def test_counts_past_one_item_are_kept_in_chunks_that_read_back_whole(stores: Ports, monkeypatch):
    monkeypatch.setattr(adapter, "CHUNK_BYTES", 1000)
    kept = kept_counts(T2, products=400)
    assert len(adapter.counts_items(kept)) > 3
    stores.recommendations.put_counts(kept)
    assert stores.recommendations.get_counts().counts.snapshot() == kept.counts.snapshot()


def test_counts_half_overwritten_are_not_read(stores: Ports, monkeypatch):
    monkeypatch.setattr(adapter, "CHUNK_BYTES", 1000)
    store = stores.recommendations
    store.put_counts(kept_counts(T1, products=400))
    chunks = adapter.counts_items(kept_counts(T2, products=400))[:-1]
    store.table.batch_put(chunks[:2])  # type: ignore[attr-defined]  # a run that stopped before the rest
    assert store.get_counts() is None
