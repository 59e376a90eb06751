"""The OpenAPI document describes every route the app serves."""

import json

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
