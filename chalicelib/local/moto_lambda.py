"""Lambda invokes on moto, answered by the app's own ``@app.lambda_function`` handlers (moto runs Lambda code only
in Docker; with ``{"lambda": {"use_docker": False}}`` its invokes go to ``moto.awslambda_simple``, patched here).

* Tests (``mock_aws`` in-process): :func:`route` answers invokes with callables from a registry.
* The local runtime: the embedded AWS child calls :func:`forward`, which posts each invoke to the runtime's
  loopback-only ``POST /_local/lambda/<function>``; the runtime answers it with :func:`invoke`.

Either way a handler's exception becomes what Lambda reports for an unhandled Python error, ``FunctionError:
Unhandled`` with ``{"errorType": <class name>, "errorMessage": ...}``, which Step Functions reads as the error's name
(so ``Retry``/``Catch`` on ``Retryable`` or ``JourneyStopped`` work as on AWS).
"""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("orbit.local")

Handler = Callable[[Any, Any], Any]
ROUTE = "/_local/lambda/"  # the runtime's route for the embedded AWS's invokes
ERROR_HEADER = "X-Orbit-Function-Error"
UNHANDLED = "Unhandled"


def function_name(name_or_arn: str) -> str:
    """A function's name from its name or its (possibly qualified) ARN."""
    return name_or_arn.split(":")[6] if name_or_arn.startswith("arn:") else name_or_arn


def invoke(handler: Handler, body: bytes | str | None) -> tuple[bytes, str | None]:
    """Run ``handler`` on the JSON ``body`` as Lambda would: (response payload, function error or None)."""
    event = json.loads(body or "null")
    try:
        result = handler(event, None)
    except Exception as exc:  # noqa: BLE001 - every error is the caller's to see, as Lambda reports it
        error = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
        return json.dumps(error).encode(), UNHANDLED
    return json.dumps(result).encode(), None


def _patch(answer: Callable[[str, Any], tuple[bytes, str | None]]) -> Callable[[], None]:
    """Replace ``LambdaSimpleBackend.invoke`` with ``answer(function name, body)``; returns the undo."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original = LambdaSimpleBackend.invoke

    def routed(
        self: LambdaSimpleBackend, name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        payload, error = answer(function_name(name), body)
        if error:
            response_headers["x-amz-function-error"] = error
        return payload

    LambdaSimpleBackend.invoke = routed  # type: ignore[method-assign, assignment]

    def undo() -> None:
        LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]

    return undo


def route(handlers: Mapping[str, Handler]) -> Callable[[], None]:
    """Answer moto's Lambda invokes in this process with ``handlers`` (function name -> handler); returns the undo.
    An invoke of a function not in ``handlers`` fails as a ``ResourceNotFoundException`` would."""

    def answer(name: str, body: Any) -> tuple[bytes, str | None]:
        handler = handlers.get(name)
        if handler is None:
            missing = {"errorType": "ResourceNotFoundException", "errorMessage": f"no handler for {name}"}
            return json.dumps(missing).encode(), UNHANDLED
        return invoke(handler, body)

    return _patch(answer)


def forward(base_url: str, timeout: float = 900.0) -> Callable[[], None]:
    """Answer moto's Lambda invokes by posting them to ``base_url`` (the runtime's HTTP server); returns the undo.
    ``timeout``: Lambda's own upper bound for one invoke."""

    def answer(name: str, body: Any) -> tuple[bytes, str | None]:
        data = body.encode() if isinstance(body, str) else (body or b"null")
        request = urllib.request.Request(base_url + ROUTE + name, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback URL
                return response.read(), response.headers.get(ERROR_HEADER)
        except (urllib.error.URLError, OSError) as exc:
            log.warning("could not forward an invoke of %s to the runtime: %s", name, exc)
            error = {"errorType": "Lambda.ServiceException", "errorMessage": f"the runtime did not answer: {exc}"}
            return json.dumps(error).encode(), UNHANDLED

    return _patch(answer)


def app_handlers(app: Any, stage: str) -> dict[str, Handler]:
    """The app's ``@app.lambda_function`` handlers by the name Chalice deploys them under (``orbit-<stage>-<name>``)."""
    return {f"{app.app_name}-{stage}-{fn.name}": fn.func for fn in app.pure_lambda_functions}


def create_function(client: Any, name: str, role_arn: str) -> str:
    """A placeholder Lambda function ``name`` (its code never runs: invokes are routed); its ARN. Reused if it
    exists."""
    try:
        return str(client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except client.exceptions.ResourceNotFoundException:
        pass
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("placeholder.py", "def handler(event, context):\n    return event\n")
    created = client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role_arn,
        Handler="placeholder.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(created["FunctionArn"])
