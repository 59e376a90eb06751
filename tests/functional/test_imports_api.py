"""Bulk contact import: asynchronous, per-row errors, bad rows never block good ones."""


def test_import_reports_bad_rows_and_keeps_good_ones(api):
    rows = [
        {"externalId": "u-1", "email": "a@example.com"},
        {"externalId": "u-2", "email": "not-an-email"},
        {"email": "no-id@example.com"},
        {"externalId": "u-4", "fields": {"undeclared": 1}},
    ]
    status, accepted = api.json("POST", "/v1/imports/contacts", {"contacts": rows})
    assert status == 202 and accepted["total"] == 4
    api.drain()
    _, result = api.json("GET", accepted["statusUrl"])
    assert (result["status"], result["succeeded"], result["failed"]) == ("FINISHED", 1, 3)
    assert [(e["index"], e["errors"][0]["path"]) for e in result["errors"]] == [
        (1, "email"),
        (2, "externalId"),
        (3, "fields.undeclared"),
    ]
    assert api.json("GET", "/v1/contacts/u-1")[1]["email"] == "a@example.com"


def test_status_is_processing_until_the_queue_is_drained(api):
    _, accepted = api.json("POST", "/v1/imports/contacts", {"contacts": [{"externalId": "u-1"}]})
    assert api.json("GET", accepted["statusUrl"])[1]["status"] == "PROCESSING"


def test_more_than_3000_rows_is_a_400(api):
    status, body = api.json("POST", "/v1/imports/contacts", {"contacts": [{"externalId": "u"}] * 3001})
    assert status == 400 and body["error"]["details"][0]["path"] == "contacts"


def test_a_large_import_is_split_into_chunks_and_counted_once(api):
    rows = [{"externalId": f"u-{i}", "firstName": "N" * 50} for i in range(600)]
    _, accepted = api.json("POST", "/v1/imports/contacts", {"contacts": rows})
    api.drain(max_rounds=50)
    _, result = api.json("GET", accepted["statusUrl"])
    assert (result["status"], result["succeeded"], result["processed"]) == ("FINISHED", 600, 600)


def test_unknown_import_is_404(api):
    assert api.json("GET", "/v1/imports/nope")[0] == 404
