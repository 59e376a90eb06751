def test_contact_roundtrip(api):
    status, body = api.json("PUT", "/v1/contacts/u-1", {"email": "a@example.com"})
    assert status == 201
    status, body = api.json("GET", "/v1/contacts/u-1")
    assert body["email"] == "a@example.com"
