"""The operator CLI against a moto stage: keys, CSV imports, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.auth.keys import digest, require
from chalicelib.cli.main import main
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.errors import Unauthorized
from chalicelib.ports import Ports as Stores
from chalicelib.services import imports
from chalicelib.services.contacts import card, get
from chalicelib.services.keys import list_keys
from tests.conftest import Api

GOOD_AND_BAD = "externalId,email,firstName,address.town\nu-1,ann@example.com,Ann,Kyiv\nu-2,not-an-email,Bob,\n"


def _created_key(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, str]:
    assert main(["keys", "create", "--stage", "test", *args, "--json"]) == 0
    created: dict[str, str] = json.loads(capsys.readouterr().out)
    return created


def _import_ids(out: str) -> list[str]:
    return [line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("import ")]


def test_create_secret_key_prints_plaintext_once_and_stores_only_its_hash(stores: Stores, capsys) -> None:
    assert main(["keys", "create", "--stage", "test", "--kind", "secret", "--name", "backend"]) == 0
    out = capsys.readouterr().out
    plaintext = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("key:"))
    stored = stores.keys.key(digest(plaintext))
    assert stored is not None and stored.name == "backend"
    assert require(stored, "secret") == stored
    assert plaintext not in json.dumps([k.model_dump() for k in list_keys(stores)])


def test_site_key_without_origin_exits_2_with_a_message(stores: Stores, capsys) -> None:
    code = main(["keys", "create", "--stage", "test", "--kind", "site", "--name", "shop"])
    err = capsys.readouterr().err
    assert code == 2
    assert "at least one allowed origin" in err
    assert "Traceback" not in err
    assert stores.keys.all_keys() == []


def test_bad_origin_exits_2_with_a_message(stores: Stores, capsys) -> None:
    code = main(["keys", "create", "--stage", "test", "--kind", "site", "--name", "shop", "--origin", "ftp://x"])
    assert code == 2
    assert "is not an origin" in capsys.readouterr().err


def test_list_shows_keys_without_plaintext(stores: Stores, capsys) -> None:
    created = _created_key(capsys, "--kind", "site", "--name", "shop", "--origin", "https://Shop.Example/")
    assert main(["keys", "list", "--stage", "test"]) == 0
    out = capsys.readouterr().out
    assert "shop" in out and "site" in out and "https://shop.example" in out
    assert created["prefix"] in out
    assert created["key"] not in out


def test_revoked_key_is_rejected(stores: Stores, capsys) -> None:
    created = _created_key(capsys, "--kind", "secret", "--name", "backend")
    assert main(["keys", "revoke", "--stage", "test", "backend"]) == 0
    assert "Revoked" in capsys.readouterr().out
    with pytest.raises(Unauthorized):
        require(stores.keys.key(created["keyHash"]), "secret")


def test_revoke_accepts_the_hash_prefix_that_list_shows(stores: Stores, capsys) -> None:
    created = _created_key(capsys, "--kind", "secret", "--name", "backend")
    assert main(["keys", "revoke", "--stage", "test", created["keyHash"][:12]]) == 0
    assert stores.keys.all_keys()[0].revokedAt is not None


def test_revoke_unknown_key_exits_2(stores: Stores, capsys) -> None:
    assert main(["keys", "revoke", "--stage", "test", "nobody"]) == 2
    assert "No key matches" in capsys.readouterr().err


def test_import_reports_row_errors_by_csv_line(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(GOOD_AND_BAD)
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 0
    (import_id,) = _import_ids(capsys.readouterr().out)
    assert imports.status(stores, import_id).status == "PROCESSING"  # nothing consumes it yet

    Api(client=None, stores=stores).drain()

    status = imports.status(stores, import_id)
    assert (status.status, status.succeeded, status.failed) == ("FINISHED", 1, 1)
    assert status.errors[0].externalId == "u-2"
    assert main(["contacts", "import-status", "--stage", "test", import_id]) == 1
    assert "row 2 (externalId u-2): email" in capsys.readouterr().out


def test_import_maps_columns_to_contact_fields(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(GOOD_AND_BAD)
    main(["contacts", "import", "--stage", "test", str(csv_file)])
    Api(client=None, stores=stores).drain()

    contact = card(stores, get(stores, "u-1"))
    assert (contact.email, contact.firstName, contact.address) == ("ann@example.com", "Ann", {"town": "Kyiv"})


def test_import_types_cells_by_field_declaration(stores: Stores, capsys, tmp_path: Path) -> None:
    stores.fields.add_field(FieldDeclaration(name="visits", type="number"))
    stores.fields.add_field(FieldDeclaration(name="vip", type="boolean"))
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId,visits,fields.vip,lastName\nu-1,3,yes,\n")
    main(["contacts", "import", "--stage", "test", str(csv_file)])
    Api(client=None, stores=stores).drain()
    contact = card(stores, get(stores, "u-1"))
    assert contact.fields == {"visits": 3, "vip": True}
    assert contact.lastName is None  # empty cells are left out


def test_import_wait_prints_totals_and_csv_line_of_each_error(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(GOOD_AND_BAD)
    consumer = Api(client=None, stores=stores)

    code = main(["contacts", "import", "--stage", "test", str(csv_file), "--wait"], sleep=lambda _s: consumer.drain())

    out = capsys.readouterr().out
    assert code == 1  # some rows failed
    assert "1 succeeded, 1 failed" in out
    assert "line 3 (externalId u-2): email:" in out


def test_import_splits_into_requests_of_chunk_size(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId\n" + "".join(f"u-{n}\n" for n in range(5)))
    assert main(["contacts", "import", "--stage", "test", str(csv_file), "--chunk-size", "2"]) == 0
    ids = _import_ids(capsys.readouterr().out)
    assert [imports.status(stores, i).total for i in ids] == [2, 2, 1]


def test_import_without_external_id_column_exits_2_before_queueing(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("email\nann@example.com\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 2
    assert "externalId" in capsys.readouterr().err


def test_import_with_undeclared_field_column_exits_2_before_queueing(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId,tier\nu-1,gold\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 2
    assert "fields.tier: is not a declared field" in capsys.readouterr().err


def test_unknown_stage_exits_2_with_a_hint(stores: Stores, capsys) -> None:
    assert main(["keys", "list", "--stage", "nostage"]) == 2
    assert "is stage 'nostage' deployed" in capsys.readouterr().err


def test_missing_file_exits_2(stores: Stores, capsys, tmp_path: Path) -> None:
    assert main(["contacts", "import", "--stage", "test", str(tmp_path / "nope.csv")]) == 2
    assert "Cannot read" in capsys.readouterr().err


def test_stage_outputs_names_the_stage_resources(stores: Stores, capsys) -> None:
    assert main(["stage", "outputs", "--stage", "prod"]) == 0
    out = capsys.readouterr().out
    assert "ORBIT_CONTACTS_TABLE=orbit-prod-contacts" in out
    assert "ORBIT_EVENTS_QUEUE=orbit-prod-events" in out


def test_import_header_reports_every_problem_at_once(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId,address.planet,email,EMAIL,tier\nu-1,Mars,a@example.com,b@example.com,gold\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 2
    err = capsys.readouterr().err
    assert "column 2: the address has only" in err
    assert "column 4: 'EMAIL' repeats email" in err
    assert "fields.tier: is not a declared field" in err


def test_import_detects_a_semicolon_delimiter_from_the_header(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId;email;firstName\nu-1;ann@example.com;Ann\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 0
    Api(client=None, stores=stores).drain()
    assert card(stores, get(stores, "u-1")).email == "ann@example.com"


def test_import_detects_a_tab_delimiter_from_the_header(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.tsv"
    csv_file.write_text("externalId\tfirstName\nu-1\tAnn, Jr\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file)]) == 0
    Api(client=None, stores=stores).drain()
    assert card(stores, get(stores, "u-1")).firstName == "Ann, Jr"


def test_import_delimiter_option_overrides_the_detection(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text("externalId|firstName\nu-1|Ann;Bob;Cy\n")
    assert main(["contacts", "import", "--stage", "test", str(csv_file), "--delimiter", "|"]) == 0
    Api(client=None, stores=stores).drain()
    assert card(stores, get(stores, "u-1")).firstName == "Ann;Bob;Cy"


def test_import_wait_timeout_prints_the_ids_and_the_status_command(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(GOOD_AND_BAD)
    code = main(["contacts", "import", "--stage", "test", str(csv_file), "--wait", "--timeout", "0"])
    out = capsys.readouterr().out
    (import_id,) = _import_ids(out)
    assert code == 3
    assert f"python -m chalicelib.cli contacts import-status --stage test --wait {import_id}" in out.split("Still")[1]


def test_import_status_wait_timeout_prints_the_status_command(stores: Stores, capsys, tmp_path: Path) -> None:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(GOOD_AND_BAD)
    main(["contacts", "import", "--stage", "test", str(csv_file)])
    (import_id,) = _import_ids(capsys.readouterr().out)
    code = main(["contacts", "import-status", "--stage", "test", import_id, "--wait", "--timeout", "0"])
    assert code == 3
    assert f"contacts import-status --stage test --wait {import_id}" in capsys.readouterr().out
