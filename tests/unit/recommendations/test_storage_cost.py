"""The benchmark counts the write units of storing lists exactly as the adapter's ``put_many`` spends them."""

from datetime import UTC, datetime

from bench.recommendations import storage_cost
from chalicelib.clock import iso
from chalicelib.recommendations.models import Scored
from chalicelib.storage.items import item_size, serialize
from chalicelib.storage.recommendations import list_items

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _lists() -> dict[tuple[str, str], list[Scored]]:
    long = [Scored(f"product-{n:024d}", 1.0 / (n + 1)) for n in range(50)]
    return {("viewedTogether", "a"): long, ("viewedTogether", "b"): long[:1], ("bestsellers", "*"): long[:3]}


def test_storage_cost_counts_every_list_and_one_built_item_per_model():
    items, _ = storage_cost(_lists(), NOW)
    assert items == 3 + 2


def test_storage_cost_counts_a_started_kilobyte_as_a_unit_per_item():
    expected = sum(-(-item_size(serialize(i)) // 1024) for i in list_items(_lists(), iso(NOW)))
    _, units = storage_cost(_lists(), NOW)
    assert units == expected
    assert units > 5  # the list of 50 ids takes more than one unit
