"""Contacts API over the Chalice test client against moto."""


def test_put_creates_then_updates(api):
    assert api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com"})[0] == 201
    assert api.json("PUT", "/v1/contacts/u-1", {"firstName": "Ann"})[0] == 200


def test_partial_update_keeps_absent_fields_and_clears_nulls(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com", "firstName": "Ann", "lastName": "Lee"})
    _, card = api.json("PUT", "/v1/contacts/u-1", {"lastName": None, "phone": "+380501234567"})
    assert (card["email"], card["firstName"], card["lastName"], card["phone"]) == (
        "a@example.com",
        "Ann",
        None,
        "+380501234567",
    )


def test_channels_are_stored_on_the_card(api):
    body = {"channels": [{"type": "telegram", "value": "12345"}, {"type": "mobilepush", "value": "tok", "appId": "a"}]}
    _, card = api.json("PUT", "/v1/contacts/u-1", body)
    assert [c["type"] for c in card["channels"]] == ["telegram", "mobilepush"]


def test_declared_fields_are_validated_and_stored(api):
    assert api.json("POST", "/v1/fields", {"name": "tier", "type": "string", "options": ["gold", "silver"]})[0] == 201
    _, card = api.json("PUT", "/v1/contacts/u-1", {"fields": {"tier": "gold"}})
    assert card["fields"] == {"tier": "gold"}


def test_an_undeclared_field_is_a_400_naming_it_and_nothing_is_written(api):
    status, body = api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com", "fields": {"shoeSize": 42}})
    assert status == 400
    assert body["error"]["details"] == [
        {"path": "fields.shoeSize", "message": "is not a declared field (declare it with POST /v1/fields)"}
    ]
    assert api.json("GET", "/v1/contacts/u-1")[0] == 404


def test_a_field_declared_again_differently_is_a_conflict(api):
    api.json("POST", "/v1/fields", {"name": "age", "type": "number"})
    assert api.json("POST", "/v1/fields", {"name": "age", "type": "string"})[0] == 409


def test_fields_are_listed(api):
    api.json("POST", "/v1/fields", {"name": "age", "type": "number", "minimum": 0})
    _, body = api.json("GET", "/v1/fields")
    assert [f["name"] for f in body["fields"]] == ["age"]


def test_find_by_email_and_phone(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com", "phone": "+380501234567"})
    api.json("PUT", "/v1/contacts/u-2", {"email": "b@example.com"})
    assert [c["externalId"] for c in api.json("GET", "/v1/contacts?email=A@example.com")[1]["contacts"]] == ["u-1"]
    assert [c["externalId"] for c in api.json("GET", "/v1/contacts?phone=%2B380501234567")[1]["contacts"]] == ["u-1"]


def test_without_an_identifier_the_contacts_are_listed(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "ann@example.com"})
    status, body = api.json("GET", "/v1/contacts")
    assert status == 200 and [c["externalId"] for c in body["items"]] == ["u-1"]


def test_unknown_contact_is_404_in_the_error_shape(api):
    status, body = api.json("GET", "/v1/contacts/nobody")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_delete_removes_the_contact(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com"})
    assert api.json("DELETE", "/v1/contacts/u-1")[0] == 200
    assert api.json("GET", "/v1/contacts/u-1")[0] == 404


def test_erase_deletes_activity_too(api):
    api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com"})
    api.json("POST", "/v1/events", {"events": [{"type": "Login", "externalId": "u-1"}]})
    api.drain()
    _, body = api.json("DELETE", "/v1/contacts/u-1?erase=true")
    assert body["eventsDeleted"] == 1
    assert list(api.stores.events.table.query_all("pk = :p", {":p": "x#u-1"})) == []


def test_erase_flag_must_be_boolean(api):
    api.json("PUT", "/v1/contacts/u-1", {})
    assert api.json("DELETE", "/v1/contacts/u-1?erase=yes")[0] == 400
