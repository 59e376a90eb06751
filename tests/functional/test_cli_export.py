"""``export contacts|products|orders``: CSV and JSON lines from a moto stage, filters, progress on stderr."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.catalog.models import Product
from chalicelib.cli.main import main
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.contacts.record import ContactRecord
from chalicelib.ports import Ports as Stores

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def filled(stores: Stores) -> Stores:
    stores.fields.add_field(FieldDeclaration(name="tier", type="string"))
    stores.fields.add_field(FieldDeclaration(name="tags", type="stringList"))
    for n in range(1, 8):
        fields = {"tier": "gold" if n % 2 else "silver"} | ({"tags": ["a", "b"]} if n == 1 else {})
        rec = ContactRecord(
            key=f"x#u-{n}",
            profile={"email": f"u{n}@example.com", "address": {"town": "Kyiv"}},
            fields=fields,
            created_at=f"2026-11-0{n}T10:00:00.000Z",
            updated_at=f"2026-11-0{n}T10:00:00.000Z",
        )
        stores.contacts.save(rec, None)
    stores.contacts.save(ContactRecord(key="a#anon-1", kind="profile", fields={"tier": "gold"}), None)
    for product_id, categories in (("p-1", ["Shoes", "Running"]), ("p-2", ["Bags"])):
        product = Product.model_validate(
            {"productId": product_id, "name": "Item", "price": "10.00", "currency": "USD", "categoryPath": categories}
        )
        stores.catalog.save(product, None, [], NOW)
    for order_id, contact, status in (("o-1", "x#u-1", "DELIVERED"), ("o-2", "x#u-2", "INITIALIZED")):
        order = {
            "externalOrderId": order_id,
            "externalId": contact[2:],
            "contact": contact,
            "status": status,
            "date": "2026-11-20T10:00:00Z",
            "processedAt": "2026-11-20T10:00:01.000Z",
            "totalCost": "1000",
            "currency": "USD",
            "items": [],
        }
        stores.orders.save(order, None)
    return stores


def test_contacts_export_as_csv_with_field_columns_and_progress(filled: Stores, tmp_path: Path, capsys) -> None:
    out = tmp_path / "contacts.csv"
    assert main(["export", "contacts", "--stage", "test", "--output", str(out), "--page-size", "3"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["externalId"] for r in rows) == [f"u-{n}" for n in range(1, 8)]
    first = next(r for r in rows if r["externalId"] == "u-1")
    assert first["fields.tier"] == "gold" and json.loads(first["fields.tags"]) == ["a", "b"]
    assert json.loads(first["address"]) == {"town": "Kyiv"}
    assert next(r for r in rows if r["externalId"] == "u-2")["fields.tags"] == ""
    err = capsys.readouterr().err
    assert "exporting contacts" in err and "exported 7 contacts" in err


def test_contacts_export_filters_as_the_api_does(filled: Stores, capsys) -> None:
    args = ["export", "contacts", "--stage", "test", "--format", "jsonl", "--field", "tier=gold"]
    assert main([*args, "--created-after", "2026-11-02T00:00:00Z"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(c["externalId"] for c in lines) == ["u-3", "u-5", "u-7"]
    assert lines[0]["fields"]["tier"] == "gold"


def test_a_bad_filter_exits_2_naming_the_option(filled: Stores, capsys) -> None:
    assert main(["export", "contacts", "--stage", "test", "--created-after", "soon"]) == 2
    err = capsys.readouterr().err
    assert "--created-after" in err and "Traceback" not in err
    assert main(["export", "contacts", "--stage", "test", "--field", "nope=1"]) == 2
    assert "--field nope" in capsys.readouterr().err


def test_products_and_orders_export(filled: Stores, capsys) -> None:
    assert main(["export", "products", "--stage", "test", "--category", "Running", "--format", "jsonl"]) == 0
    products = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["productId"] for p in products] == ["p-1"]
    assert main(["export", "orders", "--stage", "test", "--status", "DELIVERED"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["externalOrderId"], r["externalId"]) for r in rows] == [("o-1", "u-1")]
    assert main(["export", "orders", "--stage", "test", "--contact", "u-2", "--format", "jsonl"]) == 0
    assert [json.loads(line)["externalOrderId"] for line in capsys.readouterr().out.splitlines()] == ["o-2"]
