"""The offline benchmark at a small size: each model beats bestsellers on the shoppers it is meant for."""

import pytest

from bench.recommendations import MEANT_FOR, NOW, evaluate, generate
from chalicelib.recommendations.models import build


@pytest.fixture(scope="module")
def scores():
    shop = generate(240)
    return evaluate(shop, build(shop.train, shop.catalog, NOW))


@pytest.mark.parametrize("model", sorted(MEANT_FOR))
def test_each_model_beats_bestsellers_on_the_data_it_is_meant_for(scores, model):
    scenario = MEANT_FOR[model]
    mine, baseline = scores[model][scenario], scores["bestsellers"][scenario]
    assert mine.shoppers >= 20
    assert mine.hit_rate > baseline.hit_rate
    assert mine.ndcg > baseline.ndcg


def test_personal_beats_bestsellers_on_every_shopper(scores):
    assert scores["personal"]["all"].hit_rate > scores["bestsellers"]["all"].hit_rate
    assert scores["personal"]["all"].ndcg > scores["bestsellers"]["all"].ndcg
