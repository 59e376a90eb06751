"""OpenAPI 3.1 document and a readable docs page, generated from the declared routes' models."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from pydantic import BaseModel

from chalicelib.api.http import MAX_BODY_BYTES, MAX_JSON_DEPTH, ROUTES, RouteSpec

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        }
    },
}
SECURITY_SCHEMES = {
    "secretBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "Any user name, secret key as password",
    },
    "secretBearer": {"type": "http", "scheme": "bearer", "description": "Secret key as a bearer token"},
    "siteKey": {
        "type": "http",
        "scheme": "basic",
        "description": "Site key as user name (or `writeKey` in body)",
    },
}


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}


def error_statuses(spec: RouteSpec) -> dict[int, str]:
    """Every error status the route can answer, with what it means, from what the route declares (its
    body, query, path parameters, key and success statuses) and what ``api_route`` checks for it."""
    names = re.findall(r"{(\w+)}", spec.path)
    errors: dict[int, str] = {}
    if spec.takes_body or spec.query or (names and spec.auth != "none"):
        bad_body = (
            f"a body that is not JSON or nests deeper than {MAX_JSON_DEPTH} levels, or " if spec.takes_body else ""
        )
        errors[400] = (
            f"Invalid input (`invalid_input`): {bad_body}values (path, query or body) that fail validation; "
            "`details` names each"
        )
    if spec.auth != "none":
        errors[401] = "No valid key (`unauthorized`)"
        errors[403] = (
            "A site key on the server API (`forbidden`)"
            if spec.auth == "secret"
            else "A secret key on the tracking API, or an `Origin` this site key does not allow (`forbidden`)"
        )
    if names:
        errors[404] = f"No such {', '.join(names)} (`not_found`)"
    errors[405] = "The path does not serve this method (`method_not_allowed`); `Allow` lists those it does"
    if 201 in spec.statuses:  # creating is a conditional write: the record exists, or changed meanwhile
        errors[409] = "Already exists, or changed concurrently (`conflict`); retry an update"
    if spec.takes_body:
        errors[413] = f"The body is larger than {MAX_BODY_BYTES} bytes (`payload_too_large`)"
        errors[415] = f"Content-Type is not {' or '.join(spec.content_types)} (`unsupported_media_type`)"
    errors[500] = "An unexpected error (`internal_error`)"
    errors.update(spec.errors)
    if spec.auth != "none":  # every keyed call reads the key from DynamoDB; many also write or queue
        errors[503] = "AWS was busy or unreachable (`retryable`); retry the request"
    return errors


def _responses(spec: RouteSpec) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in spec.statuses:
        if spec.response is not None:
            content: dict[str, Any] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{spec.response.__name__}"}}
            }
        else:
            content = {spec.raw_response or "application/json": {}}
        updated = status == 200 and 201 in spec.statuses
        description = "Updated" if updated else SUCCESS.get(status, "Success")
        responses[str(status)] = {"description": description, "content": content}
    for status, description in error_statuses(spec).items():
        responses[str(status)] = {"description": description, "content": ERROR_CONTENT}
        if status == 405:
            responses[str(status)]["headers"] = {
                "Allow": {"description": "The methods the path serves", "schema": {"type": "string"}}
            }
    return responses


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for spec in ROUTES:
        for model in (spec.body, spec.response):
            if model is not None:
                seen[model.__name__] = model
    return list(seen.values())


def _operation(spec: RouteSpec) -> dict[str, Any]:
    ref = "#/components/schemas/{}"
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ] + [
        {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
        for name, text in spec.query.items()
    ]
    op: dict[str, Any] = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', spec.path).strip('_')}",
        "parameters": params,
        "responses": _responses(spec),
    }
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {t: {"schema": {"$ref": ref.format(spec.body.__name__)}} for t in spec.content_types},
        }
    elif spec.method in ("POST", "PUT") and spec.content_types:
        op["requestBody"] = {"required": True, "content": {t: {} for t in spec.content_types}}
    if spec.auth == "secret":
        op["security"] = [{"secretBasic": []}, {"secretBearer": []}]
    elif spec.auth == "site":
        op["security"] = [{"siteKey": []}]
    else:
        op["security"] = []
    return op


def document(server_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI document of every declared route. Built on request (the docs routes keep it), never at
    import: generating every model's JSON schema is costly, and no cold start should pay for it."""
    from pydantic.json_schema import models_json_schema

    _, schemas = models_json_schema([(m, "validation") for m in _models()], ref_template="#/components/schemas/{model}")
    components = schemas.get("$defs", {})
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Orbit API",
            "version": "1.0.0",
            "description": "Server API (secret keys) and tracking API (site keys) of the Orbit CDP.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


def docs_page(doc: dict[str, Any]) -> str:
    """A self-contained HTML reference (no CDN): every operation with its schemas."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Orbit API</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}"
        "h2{border-bottom:1px solid #ddd;margin-top:2em}.op{border:1px solid #e3e3e3;border-radius:6px;"
        "margin:1em 0;padding:.6em 1em}.m{font-weight:700;display:inline-block;min-width:4.5em}"
        "pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px}code{background:#f3f3f3}"
        "</style></head><body><h1>Orbit API</h1><p>Machine-readable: <a href='/openapi.json'>"
        '/openapi.json</a> (OpenAPI 3.1). Errors always look like <code>{"error": {"code", '
        '"message", "details": [{"path", "message"}]}}</code>.</p>'
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            by_tag.setdefault(op["tags"][0], []).append((method, path, op))
    schemas = doc["components"]["schemas"]
    for tag, ops in by_tag.items():
        parts.append(f"<h2>{html.escape(tag)}</h2>")
        for method, path, op in ops:
            auth = ", ".join(next(iter(s)) for s in op["security"]) or "none"
            parts.append(
                f"<div class='op'><span class='m'>{method.upper()}</span><code>{html.escape(path)}</code>"
                f"<p>{html.escape(op['summary'])} <small>(auth: {auth})</small></p>"
            )
            answers = ", ".join(
                f"<span title='{html.escape(r['description'])}'>{status}</span>"
                for status, r in op["responses"].items()
            )
            parts.append(f"<div><small>answers: {answers}</small></div>")
            for param in op["parameters"]:
                text = html.escape(param.get("description", ""))
                parts.append(f"<div><code>{param['name']}</code> ({param['in']}) {text}</div>")
            for label, schema in (("Request", _body_schema(op)), ("Response", _response_schema(op))):
                if schema and schema in schemas:
                    parts.append(
                        f"<details><summary>{label}: {schema}</summary><pre>"
                        f"{html.escape(json.dumps(schemas[schema], indent=2))}</pre></details>"
                    )
            parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def _ref_name(content: dict[str, Any]) -> str | None:
    for media in content.values():
        ref = media.get("schema", {}).get("$ref")
        if ref:
            return str(ref.rsplit("/", 1)[-1])
    return None


def _body_schema(op: dict[str, Any]) -> str | None:
    return _ref_name(op.get("requestBody", {}).get("content", {}))


def _response_schema(op: dict[str, Any]) -> str | None:
    for status, response in op["responses"].items():
        if status.startswith("2"):
            return _ref_name(response.get("content", {}))
    return None
