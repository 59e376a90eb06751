"""Alert detection: a catalog save queues one productAlert for a price drop or a return to stock (both in one
message when a save does both), and nothing for a rise, a sell-out, a new product or an unchanged save."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.catalog.alerts import alert_for
from chalicelib.catalog.history import diff_product
from chalicelib.catalog.models import Product
from chalicelib.messages import ProductAlertMsg
from chalicelib.services.catalog import import_feed, upsert_product
from tests.fakes import NOW, FakePublisher, fake_ports


def product(price: str = "10.00", in_stock: bool = True, pid: str = "p-1") -> Product:
    return Product(productId=pid, name="Mug", price=Decimal(price), currency="EUR", inStock=in_stock)


def alerts(ports) -> list[ProductAlertMsg]:
    publisher = ports.publisher
    assert isinstance(publisher, FakePublisher)
    return [m for m in publisher.drain("imports") if isinstance(m, ProductAlertMsg)]


def test_a_price_drop_is_an_alert_with_both_prices():
    found = alert_for(diff_product(product("10.00"), product("8.00"), NOW), 2)
    assert found is not None and found.price_dropped and not found.back_in_stock
    assert (found.old_price, found.new_price, found.currency, found.version) == (
        Decimal("10.00"),
        Decimal("8.00"),
        "EUR",
        2,
    )


def test_a_price_rise_a_sell_out_and_a_new_product_are_no_alert():
    assert alert_for(diff_product(product("8.00"), product("10.00"), NOW), 2) is None
    assert alert_for(diff_product(product(in_stock=True), product(in_stock=False), NOW), 2) is None
    assert alert_for(diff_product(None, product(), NOW), 1) is None


def test_a_save_that_drops_the_price_and_restocks_is_one_alert_with_both():
    found = alert_for(diff_product(product("10.00", False), product("9.00", True), NOW), 3)
    assert found is not None and found.price_dropped and found.back_in_stock


def test_an_upsert_that_drops_the_price_queues_one_alert_for_the_new_version():
    ports = fake_ports()
    upsert_product(ports, "p-1", product("10.00"))
    assert alerts(ports) == []
    saved, _, _ = upsert_product(ports, "p-1", product("7.50"))
    (message,) = alerts(ports)
    assert (message.productId, message.version, message.oldPrice, message.newPrice) == (
        "p-1",
        saved.version,
        "10.00",
        "7.50",
    )
    upsert_product(ports, "p-1", product("7.50"))  # unchanged: nothing
    assert alerts(ports) == []


def test_a_feed_queues_one_alert_per_restocked_product_and_none_for_the_rest():
    ports = fake_ports()
    for pid in ("p-1", "p-2"):
        upsert_product(ports, pid, product(in_stock=False, pid=pid))
    alerts(ports)
    feed = "id,title,price,availability\np-1,Mug,10.00 EUR,in stock\np-2,Mug,10.00 EUR,out of stock\n"
    import_feed(ports, feed, "csv")
    (message,) = alerts(ports)
    assert (message.productId, message.backInStock, message.oldPrice, message.version) == ("p-1", True, None, 2)
