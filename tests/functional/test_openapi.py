"""The OpenAPI document describes every route the app serves."""

import json
import re

import pytest

from app import app


def test_every_route_is_in_the_openapi_document(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    served = {
        (path, method.lower()) for path, methods in app.routes.items() for method in methods if method != "OPTIONS"
    }
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served - described == set()


def test_the_document_is_openapi_3_1_with_schemas_for_bodies(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    assert doc["openapi"] == "3.1.0"
    body = doc["paths"]["/v1/contacts/{externalId}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ContactIn"}
    assert "email" in doc["components"]["schemas"]["ContactIn"]["properties"]


def test_the_docs_page_is_readable_html(api):
    response = api.client.http.get("/docs")
    assert response.headers["Content-Type"].startswith("text/html") and b"/v1/events" in response.body


def operation(api, path, method):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    return doc["paths"][path][method]


KEYED = {"401", "403", "405", "500", "503"}  # any call with a key; 503 as the key is read from DynamoDB
BODY = {"400", "413", "415"}


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/v1/contacts/{externalId}", "put", {"201", "200", "404", "409"} | BODY | KEYED),
        ("/v1/products/{productId}", "put", {"201", "200", "404", "409"} | BODY | KEYED),
        ("/v1/contacts/{externalId}", "get", {"200", "400", "404"} | KEYED),
        ("/v1/contacts/{externalId}/activity", "get", {"200", "400", "404"} | KEYED),
        ("/v1/fields", "post", {"201", "409"} | BODY | KEYED),
        ("/v1/events", "post", {"202"} | BODY | KEYED),
        ("/v1/track", "post", {"200"} | BODY | KEYED),
        ("/health", "get", {"200", "405", "500", "503"}),
        ("/demo/{page}", "get", {"200", "404", "405", "500"}),
    ],
)
def test_a_route_documents_exactly_the_statuses_it_can_answer(api, path, method, statuses):
    assert set(operation(api, path, method)["responses"]) == statuses


def test_errors_are_described_with_the_error_schema(api):
    doc = json.loads(api.client.http.get("/openapi.json").body)
    errors = [r for ops in doc["paths"].values() for op in ops.values() for s, r in op["responses"].items() if s >= "4"]
    assert errors and all(r["description"] for r in errors)
    assert {json.dumps(r["content"]) for r in errors} == {
        json.dumps({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}})
    }


def test_405_documents_the_allow_header(api):
    assert "Allow" in operation(api, "/v1/events", "post")["responses"]["405"]["headers"]


def test_a_site_key_route_documents_the_origin_refusal(api):
    assert "Origin" in operation(api, "/v1/batch", "post")["responses"]["403"]["description"]


def test_every_status_a_route_answers_is_documented(api, monkeypatch):
    from chalicelib.errors import Retryable
    from tests.conftest import SITE_KEY, SITE_ORIGIN

    answered = []

    def call(method, path, body=None, **kwargs):
        status = api.call(method, path, body, **kwargs).status_code
        answered.append((method, path.split("?")[0], status))

    site = {"key": SITE_KEY, "headers": {"Origin": SITE_ORIGIN}}
    product = {"name": "Runner", "price": "99.90", "currency": "EUR"}
    # contacts: create, update, read, find, activity, delete; bad input, keys, content types, sizes
    call("PUT", "/v1/contacts/s-1", {"email": "s1@example.com"})
    call("PUT", "/v1/contacts/s-1", {"firstName": "Sam"})
    call("PUT", "/v1/contacts/s-1", {"email": "nope"})
    call("PUT", "/v1/contacts/s-1", raw="[" * 100_000 + "]" * 100_000)
    call("PUT", "/v1/contacts/s-1", {}, key=None)
    call("PUT", "/v1/contacts/s-1", {}, key=SITE_KEY)
    call("PUT", "/v1/contacts/s-1", raw="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    call("PUT", "/v1/contacts/s-1", raw=b"{" + b" " * (6 * 1024 * 1024) + b"}")
    call("GET", "/v1/contacts/s-1")
    call("GET", "/v1/contacts/nobody")
    call("GET", "/v1/contacts?email=s1@example.com")
    call("GET", "/v1/contacts")
    call("GET", "/v1/contacts/s-1/activity?limit=0")
    call("GET", "/v1/contacts/s-1/activity")
    call("DELETE", "/v1/contacts/s-1?erase=maybe")
    call("DELETE", "/v1/contacts/s-1")
    call("PATCH", "/v1/contacts/s-1", {})
    # fields: declare, declare again, list
    call("POST", "/v1/fields", {"name": "tier", "type": "string"})
    call("POST", "/v1/fields", {"name": "tier", "type": "number"})
    call("GET", "/v1/fields")
    # events and orders, and a queue that is down
    call("POST", "/v1/events", {"events": [{"type": "A", "externalId": "s-2"}]})
    call("POST", "/v1/orders", {"orders": []})
    call("GET", "/v1/orders/none")
    call("POST", "/v1/imports/contacts", {"contacts": [{"externalId": "s-3"}]})
    call("GET", "/v1/imports/none")
    with monkeypatch.context() as patched:
        patched.setattr(api.stores.publisher, "publish", lambda _messages: (_ for _ in ()).throw(Retryable("down")))
        call("POST", "/v1/events", {"events": [{"type": "A", "externalId": "s-2"}]})
    # products
    call("PUT", "/v1/products/p-1", product)
    call("PUT", "/v1/products/p-1", {**product, "price": "89.90"})
    call("GET", "/v1/products/p-1/history")
    call("GET", "/v1/products/none")
    call("POST", "/v1/products/import", raw="", headers={"Content-Type": "text/csv"})
    # tracking: allowed origin, another origin, the secret key
    call("POST", "/v1/track", {"event": "A", "anonymousId": "a-1"}, **site)
    call(
        "POST",
        "/v1/track",
        {"event": "A", "anonymousId": "a-1"},
        key=SITE_KEY,
        headers={"Origin": "https://evil.example"},
    )
    call("POST", "/v1/track", {"event": "A", "anonymousId": "a-1"})
    # service and web
    call("GET", "/health")
    call("GET", "/demo/nothing-here.html")

    doc = json.loads(api.client.http.get("/openapi.json").body)
    undocumented = [(m, p, s) for m, p, s in answered if str(s) not in documented(doc, m, p)]
    assert undocumented == []
    assert {"200", "201", "202", "400", "401", "403", "404", "405", "409", "413", "415", "503"} <= {
        str(s) for _, _, s in answered
    }


def documented(doc, method, path):
    """The statuses the document lists for ``method`` on the route ``path`` (a concrete path) matches."""
    for template, ops in doc["paths"].items():
        if re.fullmatch(re.sub(r"{\w+}", "[^/]+", template), path):
            if method.lower() in ops:
                return set(ops[method.lower()]["responses"])
            # a method the path does not serve: 405, documented on every operation of the path
            return {"405"} if all("405" in op["responses"] for op in ops.values()) else set()
    return set()
