from chalicelib.recommendations.models import (
    MODELS,
    Scored,
    build,
    personal,
    recently_viewed,
    related_lookup,
)

from .support import NOW, catalog, did, product

SHOP = catalog(
    product("tent", "Outdoor", "Tents", price=200, brand="Alp"),
    product("pegs", "Outdoor", "Accessories", price=10),
    product("lamp", "Outdoor", "Accessories", price=12),
    product("milk", "Food", "Dairy", price=1),
    product("cheese", "Food", "Dairy", price=5),
)


def _ids(items: list[Scored]) -> list[str]:
    return [s.product_id for s in items]


def test_the_models_are_the_ones_the_api_serves():
    assert MODELS == (
        "bestsellers", "trending", "viewedTogether", "boughtTogether", "similar", "alternatives", "personal",
        "recentlyViewed",
    )  # fmt: skip


def test_bestsellers_rank_by_purchases_overall_and_per_top_category():
    bought = [did(f"c{n}", "milk") for n in range(3)] + [did("c9", "tent"), did("c8", "tent"), did("c7", "pegs")]
    lists = build(bought, SHOP, NOW)
    assert _ids(lists[("bestsellers", "*")]) == ["milk", "tent", "pegs"]
    assert _ids(lists[("bestsellers", "cat:Outdoor")]) == ["tent", "pegs"]
    assert _ids(lists[("bestsellers", "cat:Food")]) == ["milk"]


def test_bestsellers_decay_so_recent_sales_outrank_old_ones():
    bought = [did("c1", "tent", days_ago=90), did("c2", "tent", days_ago=90), did("c3", "pegs", days_ago=1)]
    assert _ids(build(bought, SHOP, NOW)[("bestsellers", "*")]) == ["pegs", "tent"]


def test_trending_favours_this_week_over_a_busier_past():
    old = [did(f"c{n}", "milk", "view", days_ago=20) for n in range(10)]
    new = [did(f"d{n}", "cheese", "view", days_ago=1) for n in range(3)]
    assert _ids(build(old + new, SHOP, NOW)[("trending", "*")])[0] == "cheese"


def test_a_bestseller_bought_with_everything_does_not_top_bought_together():
    # milk is in every basket; tent and pegs are bought together by a few
    baskets = [[f"c{n}", "milk"] for n in range(20)]
    baskets += [[f"c{n}", "tent"] for n in range(3)] + [[f"c{n}", "pegs"] for n in range(3)]
    baskets += [[f"c{n}", "cheese"] for n in range(10, 20)]
    lists = build([did(who, pid) for who, pid in baskets], SHOP, NOW)
    assert _ids(lists[("boughtTogether", "tent")])[0] == "pegs"
    assert _ids(lists[("boughtTogether", "pegs")])[0] == "tent"


def test_viewed_together_pairs_views_of_one_contact():
    views = [did("c1", "tent", "view"), did("c1", "lamp", "view"), did("c2", "milk", "view")]
    lists = build(views, SHOP, NOW)
    assert _ids(lists[("viewedTogether", "tent")]) == ["lamp"]
    assert ("viewedTogether", "milk") not in lists


def test_similar_prefers_the_same_leaf_category_then_the_closer_price():
    shop = catalog(
        product("a", "Outdoor", "Lamps", price=20),
        product("near", "Outdoor", "Lamps", price=22),
        product("far", "Outdoor", "Lamps", price=200),
        product("cousin", "Outdoor", "Tents", price=20),
        product("stranger", "Food", "Dairy", price=20),
    )
    assert _ids(build([], shop, NOW)[("similar", "a")]) == ["near", "far", "cousin"]


def test_similar_counts_brand_and_attributes():
    shop = catalog(
        product("a", "Outdoor", price=20, brand="Alp", attributes={"color": "red"}),
        product("same", "Outdoor", price=20, brand="Alp", attributes={"color": "red"}),
        product("brand", "Outdoor", price=20, brand="Alp", attributes={"color": "blue"}),
        product("other", "Outdoor", price=20, brand="Zed", attributes={"color": "blue"}),
    )
    assert _ids(build([], shop, NOW)[("similar", "a")]) == ["same", "brand", "other"]


def test_alternatives_are_similar_products_in_stock():
    shop = catalog(
        product("gone", "Outdoor", "Lamps", price=20, inStock=False),
        product("also-gone", "Outdoor", "Lamps", price=20, inStock=False),
        product("here", "Outdoor", "Lamps", price=25),
    )
    lists = build([], shop, NOW)
    assert _ids(lists[("similar", "gone")]) == ["also-gone", "here"]
    assert _ids(lists[("alternatives", "gone")]) == ["here"]


RELATED = {"tent": [Scored("pegs", 0.9), Scored("lamp", 0.3)], "milk": [Scored("cheese", 0.9)]}


def test_personal_recommends_what_is_related_to_the_history():
    history = [did("c1", "tent", days_ago=1), did("c1", "milk", days_ago=1)]
    found = personal(history, lambda p: RELATED.get(p, []), [Scored("bread", 9)], 3)
    assert set(_ids(found)[:2]) == {"pegs", "cheese"} and _ids(found)[2] == "lamp"  # bread not needed


def test_personal_weighs_recent_history_more():
    history = [did("c1", "tent", days_ago=90), did("c1", "milk", days_ago=1)]
    found = personal(history, lambda p: RELATED.get(p, []), [], 3)
    assert _ids(found) == ["cheese", "pegs", "lamp"]


def test_personal_weighs_a_purchase_more_than_a_view():
    history = [did("c1", "tent", "purchase", days_ago=1), did("c1", "milk", "view", days_ago=1)]
    found = personal(history, lambda p: RELATED.get(p, []), [], 3)
    assert _ids(found) == ["pegs", "cheese", "lamp"]


def test_personal_falls_back_to_bestsellers_for_a_contact_with_no_history():
    bestsellers = [Scored("milk", 9), Scored("tent", 5)]
    assert _ids(personal([], lambda p: [], bestsellers, 6)) == ["milk", "tent"]


def test_personal_fills_up_with_bestsellers_ranked_below_its_own():
    found = personal([did("c1", "tent")], lambda p: [Scored("pegs", 0.2)], [Scored("milk", 9), Scored("pegs", 8)], 3)
    assert _ids(found) == ["pegs", "milk"]
    assert found[0].score > found[1].score


def test_related_lookup_sums_the_item_to_item_models_scaled_to_one():
    lists = {
        ("boughtTogether", "tent"): [Scored("pegs", 0.2), Scored("lamp", 0.1)],
        ("viewedTogether", "tent"): [Scored("lamp", 0.8)],
    }
    found = related_lookup(lists, {"boughtTogether": 1.0, "viewedTogether": 1.0})("tent")
    assert [(s.product_id, round(s.score, 3)) for s in found] == [("lamp", 1.5), ("pegs", 1.0)]


def test_recently_viewed_lists_distinct_views_newest_first():
    history = [
        did("c1", "tent", "view", days_ago=3),
        did("c1", "lamp", "view", days_ago=2),
        did("c1", "tent", "view", days_ago=1),
        did("c1", "milk", "purchase", days_ago=0),
    ]
    assert _ids(recently_viewed(history, 5)) == ["tent", "lamp"]
    assert _ids(recently_viewed(history, 1)) == ["tent"]
