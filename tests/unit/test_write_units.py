"""Item sizing by DynamoDB's rules, which the cost meter relies on."""

from chalicelib.storage.items import Meter, item_size, serialize, write_units


def test_strings_cost_their_utf8_bytes_plus_the_name():
    assert item_size(serialize({"pk": "abc", "é": "é"})) == 2 + 3 + 2 + 2


def test_numbers_cost_one_byte_per_two_digits_plus_one():
    assert item_size(serialize({"n": 12345})) == 1 + 3 + 1


def test_maps_and_lists_add_overhead_per_element():
    assert item_size(serialize({"m": {"a": "x"}})) == 1 + 3 + (1 + 1 + 1)
    assert item_size(serialize({"l": ["x", "y"]})) == 1 + 3 + 2 * (1 + 1)


def test_write_units_are_per_started_kilobyte():
    assert [write_units(n) for n in (1, 1024, 1025, 4096)] == [1, 1, 2, 4]


def test_meter_sums_requests_and_units():
    meter = Meter()
    meter.request("dynamodb.PutItem", 2)
    meter.request("dynamodb.PutItem", 1)
    assert meter.snapshot() == {"requests": {"dynamodb.PutItem": 2}, "writeUnits": 3}
