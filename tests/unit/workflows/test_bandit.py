"""The one-from-many choice favours the better click rate and does not repeat a variant too soon."""

from __future__ import annotations

import random

from chalicelib.workflows.bandit import choose


def test_with_evidence_the_better_variant_wins_most_draws():
    stats = {"a": (1000, 50), "b": (1000, 150)}
    rng = random.Random(7)
    picks = [choose(["a", "b"], stats, {}, None, rng) for _ in range(500)]
    assert picks.count("b") > 490


def test_without_evidence_both_variants_are_tried():
    rng = random.Random(7)
    picks = {choose(["a", "b"], {}, {}, None, rng) for _ in range(50)}
    assert picks == {"a", "b"}


def test_a_variant_sent_within_the_window_is_skipped():
    stats = {"a": (1000, 500), "b": (1000, 1)}
    recent = {"a": "2026-11-20T00:00:00+00:00"}
    assert choose(["a", "b"], stats, recent, "2026-11-01T00:00:00+00:00", random.Random(1)) == "b"


def test_when_every_variant_was_sent_recently_the_oldest_goes_again():
    recent = {"a": "2026-11-20T00:00:00+00:00", "b": "2026-11-10T00:00:00+00:00"}
    assert choose(["a", "b"], {}, recent, "2026-11-01T00:00:00+00:00", random.Random(1)) == "b"


def test_the_same_seed_chooses_the_same_variant():
    stats = {"a": (10, 3), "b": (10, 4), "c": (0, 0)}
    assert len({choose(["a", "b", "c"], stats, {}, None, random.Random("x:3")) for _ in range(5)}) == 1
