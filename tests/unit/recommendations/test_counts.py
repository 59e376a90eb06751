import json
from datetime import timedelta

import pytest

from chalicelib.recommendations.counts import BESTSELLER_HALF_LIFE, Counts, pair

from .support import NOW, did


def _history():
    return [
        did("c1", "a", "view", days_ago=9),
        did("c1", "a", days_ago=9),
        did("c1", "b", days_ago=8),
        did("c2", "a", "cart", days_ago=5),
        did("c2", "c", "view", days_ago=5),
        did("c2", "a", days_ago=2),
        did("c2", "b", days_ago=1),
        did("c3", "c", "view", days_ago=1),
        did("c3", "b", "view", days_ago=0.5),
    ]


def _full(interactions):
    counts = Counts(as_of=NOW - timedelta(days=30))
    counts.add(interactions)
    counts.decay_to(NOW)
    return counts


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9)


def test_adding_day_by_day_equals_a_full_rebuild():
    history = _history()
    incremental = Counts(as_of=NOW - timedelta(days=30))
    for day in range(10, -1, -1):
        incremental.add(i for i in history if NOW - timedelta(days=day + 1) < i.at <= NOW - timedelta(days=day))
    incremental.decay_to(NOW)
    full = _full(history)
    for name in ("bought", "activity", "buyers", "bought_pairs", "viewers", "viewed_pairs"):
        _same(getattr(incremental, name), getattr(full, name))


def test_a_purchase_counts_half_as_much_one_half_life_later():
    counts = _full([did("c1", "a", days_ago=0), did("c2", "b", days_ago=BESTSELLER_HALF_LIFE.days)])
    assert counts.bought["b"] == pytest.approx(counts.bought["a"] / 2)


def test_decaying_to_a_later_time_decays_every_weight():
    counts = _full([did("c1", "a", days_ago=0)])
    counts.decay_to(NOW + BESTSELLER_HALF_LIFE)
    assert counts.bought["a"] == pytest.approx(0.5)


def test_contacts_who_bought_both_make_a_pair_once():
    counts = _full([did("c1", "a", days_ago=0), did("c1", "b", days_ago=0), did("c1", "a", days_ago=0)])
    assert counts.bought_pairs == {pair("a", "b"): pytest.approx(1.0)}
    assert counts.buyers == {"a": pytest.approx(1.0), "b": pytest.approx(1.0)}


def test_a_cart_repeated_within_a_day_counts_once():
    once = _full([did("c1", "a", "cart", days_ago=0.2)])
    repeated = _full([did("c1", "a", "cart", days_ago=0.2), did("c1", "a", "cart", days_ago=0.1)])
    next_day = _full([did("c1", "a", "cart", days_ago=2), did("c1", "a", "cart", days_ago=0.2)])
    assert repeated.activity["a"] == pytest.approx(once.activity["a"])
    assert next_day.activity["a"] > once.activity["a"]


def test_prune_forgets_weights_that_decayed_away():
    counts = _full([did("c1", "a", days_ago=365 * 3), did("c1", "b", days_ago=0)])
    counts.prune()
    assert "a" not in counts.bought and "b" in counts.bought


def test_prune_forgets_cart_lines_too_old_to_matter():
    counts = _full([did("c1", "a", "cart", days_ago=3), did("c2", "b", "cart", days_ago=0.5)])
    counts.prune()
    assert counts.carted == {"c2": {"b": NOW - timedelta(days=0.5)}}


def test_a_snapshot_restored_from_json_goes_on_counting_like_the_original():
    history = _history()
    earlier = [i for i in history if i.at <= NOW - timedelta(days=3)]
    later = [i for i in history if i.at > NOW - timedelta(days=3)]
    first = Counts(as_of=NOW - timedelta(days=30))
    first.add(earlier)
    restored = Counts.restore(json.loads(json.dumps(first.snapshot())))
    restored.add(later)
    restored.decay_to(NOW)
    full = _full(history)
    for name in ("bought", "activity", "buyers", "bought_pairs", "viewers", "viewed_pairs"):
        _same(getattr(restored, name), getattr(full, name))
    assert restored.purchased == full.purchased and restored.carted == full.carted
