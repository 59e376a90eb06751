"""Serving from the precomputed lists on the fakes: product, cart and category models, a contact's personal and
recently viewed products, the filters, product cards, and the six-plus-six blocks a template gets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.recommendations.filters import Filters
from chalicelib.services.recommendations import serve
from tests.unit.recommendations_serving.shop import Shop


@pytest.fixture
def shop() -> Shop:
    found = Shop()
    found.products("a", "b", "c", "d", "e", "f", "g", "h")
    return found


def ids(cards: list[dict]) -> list[str]:
    return [c["id"] for c in cards]


def test_a_product_model_answers_its_list_as_product_cards(shop):
    shop.lists("viewedTogether", "a", "c", "b")
    cards = serve.recommend(shop.ports, "viewedTogether", product="a")
    assert cards == [
        {
            "id": "c",
            "name": "Product c",
            "url": "https://shop.example/p/c",
            "image": "https://shop.example/i/c.jpg",
            "price": "10.50",
            "oldPrice": None,
            "currency": "EUR",
        },
        {**cards[0], "id": "b", "name": "Product b", "url": "https://shop.example/p/b", "image": cards[1]["image"]},
    ]


def test_a_list_not_built_yet_answers_no_products(shop):
    assert serve.recommend(shop.ports, "boughtTogether", product="a") == []
    assert serve.recommend(shop.ports, "bestsellers") == []


def test_out_of_stock_and_unknown_products_are_left_out_unless_asked(shop):
    shop.product("c", in_stock=False)
    shop.lists("similar", "a", "c", "zz", "b")
    assert ids(serve.recommend(shop.ports, "similar", product="a")) == ["b"]
    assert ids(serve.recommend(shop.ports, "similar", product="a", filters=Filters(in_stock=False))) == ["c", "b"]


def test_the_limit_cuts_the_list(shop):
    shop.lists("boughtTogether", "a", "b", "c", "d", "e")
    assert ids(serve.recommend(shop.ports, "boughtTogether", product="a", filters=Filters(limit=2))) == ["b", "c"]


def test_a_cart_merges_its_products_lists_and_leaves_the_cart_out(shop):
    shop.lists("boughtTogether", "a", "c", "b", "d")
    shop.lists("boughtTogether", "b", "d", "a", "e")
    # c: 3, d: 1 + 3, e: 1 (a and b are in the cart)
    assert ids(serve.recommend(shop.ports, "boughtTogether", cart=["a", "b"])) == ["d", "c", "e"]


def test_bestsellers_are_the_whole_shops_or_a_categorys(shop):
    shop.lists("bestsellers", "*", "a", "b")
    shop.lists("bestsellers", "cat:Coffee", "c")
    assert ids(serve.recommend(shop.ports, "bestsellers")) == ["a", "b"]
    assert ids(serve.recommend(shop.ports, "bestsellers", category="Coffee")) == ["c"]


def test_category_filters_narrow_a_list(shop):
    shop.product("b", "Tea")
    shop.product("c", "Coffee", "Beans")
    shop.lists("trending", "*", "a", "b", "c")
    tea = serve.recommend(shop.ports, "trending", filters=Filters(include_categories=("Tea",)))
    no_coffee = serve.recommend(shop.ports, "trending", filters=Filters(exclude_categories=("Coffee",)))
    assert (ids(tea), ids(no_coffee)) == (["b"], ["a", "b"])


def test_personal_goes_through_the_lists_of_what_the_contact_touched(shop):
    ann = shop.contact("ann")
    shop.viewed(ann, "a")
    shop.lists("viewedTogether", "a", "c")
    shop.lists("boughtTogether", "a", "d")
    shop.lists("similar", "a", "e")
    shop.lists("viewedTogether", "b", "f")  # ann never touched b
    shop.lists("bestsellers", "*", "h")
    found = ids(serve.recommend(shop.ports, "personal", contact=ann))
    # the related products first (their order is the model's weighting), then the bestsellers; "a" was seen
    assert sorted(found[:3]) == ["c", "d", "e"] and found[3:] == ["h"]


def test_personal_without_history_is_the_bestsellers(shop):
    shop.lists("bestsellers", "*", "e", "f")
    assert ids(serve.recommend(shop.ports, "personal", contact=shop.contact("bob"))) == ["e", "f"]
    assert ids(serve.recommend(shop.ports, "personal")) == ["e", "f"]


def test_recently_viewed_is_the_contacts_views_newest_first(shop):
    ann = shop.contact("ann")
    shop.viewed(ann, "a", ago=timedelta(hours=3))
    shop.viewed(ann, "b", ago=timedelta(hours=2))
    shop.viewed(ann, "a", ago=timedelta(hours=1))
    shop.bought(ann, "c")
    assert ids(serve.recommend(shop.ports, "recentlyViewed", contact=ann)) == ["a", "b"]


def test_exclude_purchased_drops_what_the_contact_bought(shop):
    ann = shop.contact("ann")
    shop.bought(ann, "c")
    shop.lists("viewedTogether", "a", "c", "b")
    mine = Filters(exclude_purchased=True)
    assert ids(serve.recommend(shop.ports, "viewedTogether", product="a", contact=ann, filters=mine)) == ["b"]
    assert ids(serve.recommend(shop.ports, "viewedTogether", product="a", contact=ann)) == ["c", "b"]


def test_an_alias_resolves_to_the_contact_it_was_merged_into(shop):
    ann = shop.contact("ann")
    assert serve.resolve(shop.ports, shop.merge("anon-1", ann)) == ann
    assert serve.resolve(shop.ports, shop.visitor("anon-2")) == "a#anon-2"
    assert serve.resolve(shop.ports, "a#nobody") is None


def test_a_template_gets_the_cart_and_six_recommended_in_the_context_shape(shop):
    ann = shop.contact("ann")
    shop.bought(ann, "e")
    shop.lists("boughtTogether", "a", "b", "c", "e")
    shop.lists("bestsellers", "*", "e", "f", "g", "h", "c", "d")
    products, recommended = serve.for_template(shop.ports, ann, ["a", "b", "zz"])
    assert [p["id"] for p in products] == ["a", "b"]
    assert products[0]["imageUrl"] == "https://shop.example/i/a.jpg" and "image" not in products[0]
    # bought with the cart first, then topped up with the personal ones; the cart and what ann bought left out
    assert [p["id"] for p in recommended] == ["c", "f", "g", "h", "d"]


def test_a_template_without_contact_or_cart_gets_the_bestsellers(shop):
    shop.lists("bestsellers", "*", "a", "b", "c", "d", "e", "f", "g")
    products, recommended = serve.for_template(shop.ports, None)
    assert products == [] and [p["id"] for p in recommended] == ["a", "b", "c", "d", "e", "f"]
