"""Keys and the one error shape: 401/403, malformed input, content types, sizes."""

from tests.conftest import SITE_KEY


def error(body):
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_missing_key_is_401(api):
    status, body = api.json("GET", "/v1/contacts/u-1", key=None)
    assert status == 401 and error(body)["code"] == "unauthorized"


def test_wrong_key_is_401(api):
    assert api.json("GET", "/v1/contacts/u-1", key="osk_not_a_real_key_at_all")[0] == 401


def test_site_key_on_the_server_api_is_403(api):
    assert api.json("GET", "/v1/contacts/u-1", key=SITE_KEY)[0] == 403


def test_bearer_secret_key_works(api):
    from tests.conftest import SECRET_KEY

    status, _ = api.json("PUT", "/v1/contacts/u-1", {}, key=None, headers={"Authorization": f"Bearer {SECRET_KEY}"})
    assert status == 201


def test_missing_key_wins_over_a_malformed_body(api):
    assert api.json("POST", "/v1/events", raw="{", key=None)[0] == 401


def test_malformed_json_is_400(api):
    status, body = api.json("POST", "/v1/events", raw="{not json")
    assert status == 400 and error(body)["details"][0]["path"] == "$"


def test_wrong_content_type_is_415(api):
    status, body = api.json(
        "POST", "/v1/events", raw="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 415 and error(body)["code"] == "unsupported_media_type"


def test_oversize_body_is_413(api):
    status, body = api.json("POST", "/v1/events", raw=b"[" + b" " * (6 * 1024 * 1024) + b"]")
    assert status == 413 and error(body)["code"] == "payload_too_large"


def test_unknown_top_level_field_is_400(api):
    status, body = api.json("POST", "/v1/events", {"events": [{"type": "A", "externalId": "u"}], "evnts": []})
    assert status == 400 and error(body)["details"][0] == {"path": "evnts", "message": "is not a known field"}


def test_wrong_method_uses_the_error_shape(api):
    status, body = api.json("PATCH", "/v1/events", {})
    assert status == 405 and error(body)["code"] == "MethodNotAllowedError"


def test_keys_are_stored_hashed(api):
    from tests.conftest import SECRET_KEY

    items = list(api.stores.keys.table.query_all("pk = :k", {":k": "key"}))
    assert items and all(SECRET_KEY not in str(item) and SITE_KEY not in str(item) for item in items)
