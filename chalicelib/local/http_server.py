"""The local HTTP server's request handling: Orbit's error shape for every error, one log line per request,
path parameters decoded as API Gateway does, and the embedded AWS's Lambda invokes (``POST /_local/lambda/<name>``,
loopback only: :mod:`chalicelib.local.moto_lambda`)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from chalicelib.local.moto_lambda import ROUTE

log = logging.getLogger("orbit.local")
http_log = logging.getLogger("orbit.local.http")


def _handler_class() -> Any:
    """Chalice's local request handler, answering every error in Orbit's error shape.

    * An unknown route is a 404 ``not_found``. (API Gateway's own answer is a 403 "Missing
      Authentication Token"; the packaged template maps it to the same 404 with a gateway response.)
    * Any HTTP method goes to the app, which answers 405 ``method_not_allowed`` with ``Allow`` for
      one the path does not serve. http.server dispatches a request to ``do_<METHOD>`` and answers
      501 with an HTML page when there is none; Chalice's handler defines only the seven methods API
      Gateway routes, so TRACE, CONNECT or an invented verb would get that page.
    * http.server's own refusals (a header line over 64 KB, a malformed request line) use the shape too.
    """
    from http import HTTPStatus

    from chalice.local import ChaliceRequestHandler, LocalGatewayException

    class Handler(ChaliceRequestHandler):
        started = 0.0

        def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
            self.app_object = app_object  # the Lambda route below calls its @app.lambda_function handlers
            super().__init__(request, client_address, server, app_object, config)

        def do_POST(self) -> None:
            if self.path.startswith(ROUTE):
                _invoke_lambda(self)
            else:
                self._generic_handle()

        def parse_request(self) -> bool:
            self.started = time.monotonic()
            return bool(super().parse_request())

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """One line per request: method, path (without its query: it may carry a key), status, ms."""
            elapsed = (time.monotonic() - self.started) * 1000 if self.started else 0.0
            http_log.info(
                "request",
                extra={
                    "method": getattr(self, "command", None) or "-",
                    "path": (getattr(self, "path", None) or "-").split("?", 1)[0],
                    "status": int(code) if isinstance(code, int) else code,
                    "ms": round(elapsed),
                },
            )

        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):  # a method Chalice's handler has no do_<METHOD> for
                return self._generic_handle
            raise AttributeError(name)

        def _send_error_response(self, error: LocalGatewayException) -> None:
            raw = error.body or b""
            if error.CODE == 403 and (b"Missing Authentication Token" in raw or b"Credential" in raw):
                body = {"error": {"code": "not_found", "message": f"No route for {self.path}", "details": []}}
                self._send_http_response(404, {"Content-Type": "application/json"}, json.dumps(body))
                return
            super()._send_error_response(error)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """http.server's own error replies, in the error shape instead of an HTML page."""
            self.log_error("code %d, message %s", code, message)
            phrase = HTTPStatus(code).phrase
            error_code = "invalid_input" if code == 400 else HTTPStatus(code).name.lower()
            shaped = {"error": {"code": error_code, "message": message or phrase, "details": []}}
            body = json.dumps(shaped).encode()
            self.send_response(code, phrase)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True  # the request was not read to its end

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug(format, *args)

    return Handler


def _invoke_lambda(request: Any) -> None:
    """``POST /_local/lambda/<function>``: the embedded AWS's Lambda invokes (Step Functions' tasks), for loopback
    clients only; the handler's result, or its error with ``X-Orbit-Function-Error``."""
    from chalicelib.local import moto_lambda
    from chalicelib.settings import get_settings

    if request.client_address[0] not in ("127.0.0.1", "::1"):
        request.send_error(403, "Lambda invokes come from the embedded AWS only")
        return
    name = request.path[len(ROUTE) :].split("?", 1)[0]
    handler = moto_lambda.app_handlers(request.app_object, get_settings().stage).get(name)
    if handler is None:
        request.send_error(404, f"No Lambda function {name}")
        return
    body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
    payload, error = moto_lambda.invoke(handler, body)
    request.send_response(200)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(payload)))
    if error:
        request.send_header(moto_lambda.ERROR_HEADER, error)
    request.end_headers()
    request.wfile.write(payload)


def _decode_path_parameters() -> None:
    """API Gateway URL-decodes path parameters; chalice's local gateway passes them raw. Match it."""
    from urllib.parse import unquote

    from chalice import local as chalice_local

    base = chalice_local.RouteMatcher
    if getattr(base, "decodes", False):
        return

    class DecodingRouteMatcher(base):  # type: ignore[misc, valid-type]
        decodes = True

        def match_route(self, url: str) -> Any:
            found = super().match_route(url)
            captured = {name: unquote(value) for name, value in found.captured.items()}
            return chalice_local.MatchResult(found.route, captured, found.query_params)

    chalice_local.RouteMatcher = DecodingRouteMatcher  # type: ignore[misc]
