from chalicelib.recommendations.filters import Filters, apply
from chalicelib.recommendations.models import Scored

from .support import catalog, product

SHOP = catalog(
    product("tent", "Outdoor", "Tents", brand="Alp", attributes={"color": "green", "season": ["summer", "autumn"]}),
    product("old-tent", "Outdoor", "Tents", inStock=False),
    product("lamp", "Outdoor", "Lamps", attributes={"color": "red"}),
    product("milk", "Food", "Dairy"),
)
ALL = [Scored(p, 1.0) for p in ("tent", "old-tent", "lamp", "milk", "unknown")]


def _ids(filters: Filters, purchased: tuple[str, ...] = ()) -> list[str]:
    return [s.product_id for s in apply(ALL, SHOP, filters, purchased)]


def test_out_of_stock_and_unknown_products_are_left_out_by_default():
    assert _ids(Filters()) == ["tent", "lamp", "milk"]


def test_out_of_stock_products_stay_when_asked():
    assert _ids(Filters(in_stock=False)) == ["tent", "old-tent", "lamp", "milk"]


def test_purchased_products_are_left_out_only_when_asked():
    assert _ids(Filters(exclude_purchased=True), purchased=("tent",)) == ["lamp", "milk"]
    assert _ids(Filters(), purchased=("tent",)) == ["tent", "lamp", "milk"]


def test_categories_match_a_name_or_a_leading_path():
    assert _ids(Filters(include_categories=("outdoor > lamps",))) == ["lamp"]
    assert _ids(Filters(include_categories=("Dairy", "Tents"))) == ["tent", "milk"]
    assert _ids(Filters(exclude_categories=("Outdoor",))) == ["milk"]


def test_attributes_must_all_match_any_value_of_a_list():
    assert _ids(Filters(attributes={"color": "Green", "season": "autumn"})) == ["tent"]
    assert _ids(Filters(attributes={"brand": "alp"})) == ["tent"]
    assert _ids(Filters(attributes={"color": "blue"})) == []


def test_excluded_ids_and_the_limit_apply_after_everything_else():
    assert _ids(Filters(exclude=("tent",), limit=1)) == ["lamp"]


def test_a_product_listed_twice_is_shown_once():
    twice = [Scored("tent", 2.0), Scored("tent", 1.0), Scored("milk", 0.5)]
    assert [s.product_id for s in apply(twice, SHOP, Filters(), ())] == ["tent", "milk"]
