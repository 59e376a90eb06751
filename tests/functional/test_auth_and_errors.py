"""Keys and the one error shape: 401/403, malformed input, content types, sizes, methods, nesting."""

import pytest
from chalice import app as chalice_app
from chalice.app import Response

from chalicelib.api.http import MAX_JSON_DEPTH
from chalicelib.api.middleware import error_shape
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


def test_wrong_method_is_405_method_not_allowed(api):
    status, body = api.json("PATCH", "/v1/events", {})
    assert status == 405 and error(body)["code"] == "method_not_allowed"


def test_wrong_method_lists_the_allowed_ones(api):
    response = api.call("POST", "/v1/contacts/u-1", {})
    assert sorted(response.headers["Allow"].split(", ")) == ["DELETE", "GET", "PUT"]


@pytest.mark.parametrize(
    ("chalice_error", "code"),
    [
        (chalice_app.BadRequestError, "invalid_input"),
        (chalice_app.UnauthorizedError, "unauthorized"),
        (chalice_app.ForbiddenError, "forbidden"),
        (chalice_app.NotFoundError, "not_found"),
        (chalice_app.MethodNotAllowedError, "method_not_allowed"),
        (chalice_app.RequestTimeoutError, "request_timeout"),
        (chalice_app.ConflictError, "conflict"),
        (chalice_app.UnprocessableEntityError, "permanent"),
        (chalice_app.TooManyRequestsError, "too_many_requests"),
        (chalice_app.ChaliceViewError, "internal_error"),
    ],
)
def test_chalice_errors_get_orbit_codes(chalice_error, code):
    # the body Chalice answers a ChaliceViewError with (RestAPIEventHandler._get_view_function_response)
    chalice_body = {"Code": chalice_error.__name__, "Message": "it went wrong"}
    response = error_shape(None, lambda _: Response(chalice_body, status_code=chalice_error.STATUS_CODE))
    assert (response.status_code, response.body) == (
        chalice_error.STATUS_CODE,
        {"error": {"code": code, "message": "it went wrong", "details": []}},
    )


def test_an_exception_chalice_catches_is_500_internal_error(api, monkeypatch):
    monkeypatch.setattr("chalicelib.api.fields.fields.declared", lambda _ports: 1 / 0)
    status, body = api.json("GET", "/v1/fields")
    assert status == 500 and error(body)["code"] == "internal_error"


def test_an_exception_reaching_the_middleware_is_500_and_logged(caplog):
    def explode(_event):
        raise chalice_app.ChaliceUnhandledError("boom")

    response = error_shape(None, explode)
    assert response.status_code == 500 and response.body["error"]["code"] == "internal_error"
    assert [r.name for r in caplog.records if r.levelname == "ERROR"] == ["orbit.http"]


def event_with_lists(depth):
    """An events body whose one event has a property of ``depth`` nested lists."""
    return '{"events": [{"type": "A", "externalId": "u-1", "properties": {"x": ' + "[" * depth + "]" * depth + "}}]}"


def test_json_nested_100000_deep_is_400(api):
    status, body = api.json("POST", "/v1/events", raw="[" * 100_000 + "]" * 100_000)
    assert status == 400 and error(body)["code"] == "invalid_input"


def test_json_nested_past_the_limit_inside_valid_events_is_400(api):
    # parses (json.loads reaches ~1,000 levels), but would break pydantic's serializer and DynamoDB
    status, body = api.json("POST", "/v1/events", raw=event_with_lists(300))
    assert status == 400 and error(body)["details"][0]["path"] == "$"


def test_json_nested_up_to_the_limit_is_accepted(api):
    # object, events list, event, properties: 4 levels, then lists to MAX_JSON_DEPTH
    assert api.json("POST", "/v1/events", raw=event_with_lists(MAX_JSON_DEPTH - 4))[0] == 202


def test_a_deep_line_in_a_json_lines_feed_is_one_bad_row(api):
    good = '{"productId": "SKU-2", "name": "Socks", "price": "4.50"}'
    feed = "[" * 100_000 + "]" * 100_000 + "\n" + good + "\n"
    status, body = api.json("POST", "/v1/products/import", raw=feed, headers={"Content-Type": "application/x-ndjson"})
    assert status == 200 and body["imported"] == 1
    assert body["errors"][0]["errors"] == [{"path": "$", "message": "nests too deeply"}]


def test_keys_are_stored_hashed(api):
    from tests.conftest import SECRET_KEY

    items = list(api.stores.keys.table.query_all("pk = :k", {":k": "key"}))
    assert items and all(SECRET_KEY not in str(item) and SITE_KEY not in str(item) for item in items)
