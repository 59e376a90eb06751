"""Orbit: wiring only. Blueprints, middleware, queue consumer and schedules are registered here."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Chalice, Rate, Response, SQSEvent

from chalicelib.api import contacts, docs, events, fields, products, tracking
from chalicelib.api.http import error_response
from chalicelib.deps import consumer, ports
from chalicelib.errors import OrbitError
from chalicelib.services import imports
from chalicelib.services.maintenance import sweep_counters
from chalicelib.settings import get_settings
from chalicelib.web import routes as web

app = Chalice(app_name="orbit")
app.log.setLevel(logging.INFO)
app.experimental_feature_flags.update(["BLUEPRINTS"])
for module in (contacts, events, fields, tracking, products, docs, web):
    app.register_blueprint(module.bp)


@app.middleware("http")
def error_shape(event: Any, get_response: Any) -> Response:
    """Every error leaves in one JSON shape, including Chalice's own and unexpected ones."""
    try:
        response: Response = get_response(event)
    except OrbitError as exc:
        return error_response(exc)
    except Exception:
        app.log.exception("unhandled error")
        return error_response(OrbitError("Something went wrong on our side"))
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "Message" in body:
        code = str(body["Code"])
        return Response(
            body={"error": {"code": code, "message": str(body["Message"]), "details": []}},
            status_code=response.status_code,
            headers=response.headers,
        )
    return response


# Batches of up to 100 gathered over up to 2 s: a visitor's burst of events lands in one batch, so
# their contact is written once for many events (the main write-cost lever, see docs/cost.md).
@app.on_sqs_message(
    queue=get_settings().events_queue, batch_size=100, maximum_batching_window_in_seconds=2, name="consume_events"
)
def consume_events(event: SQSEvent) -> dict[str, Any]:
    """Apply queued events, orders and identity messages; report partial failures."""
    failed = consumer(ports()).process(_records(event))
    return _failures(failed)


# Import chunks run on their own queue, so a 3,000-row import never delays live events.
@app.on_sqs_message(queue=get_settings().imports_queue, batch_size=5, name="consume_imports")
def consume_imports(event: SQSEvent) -> dict[str, Any]:
    """Apply contact-import chunks (each recorded once); report partial failures."""
    return _failures(imports.consume(ports(), _records(event)))


def _records(event: SQSEvent) -> list[tuple[str, str]]:
    return [(r["messageId"], r["body"]) for r in event.to_dict()["Records"]]


def _failures(failed: list[str]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}


@app.schedule(Rate(1, unit=Rate.HOURS), name="sweep_counters")
def sweep(event: Any) -> dict[str, int]:
    """Prune daily counters that fell out of the rolling window on contacts that went quiet."""
    return sweep_counters(ports())
