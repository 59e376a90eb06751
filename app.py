"""Orbit: wiring only. Blueprints, middleware, queue consumer and schedules are registered here."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Chalice, Rate, Response, SQSEvent

from chalicelib.api import contacts, docs, events, fields, products, tracking
from chalicelib.api.http import error_response
from chalicelib.catalog.service import enricher
from chalicelib.deps import stores
from chalicelib.errors import OrbitError
from chalicelib.pipeline.consumer import Consumer
from chalicelib.pipeline.maintenance import sweep_counters
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
    """Apply queued events, orders, identity and import messages; report partial failures."""
    records = [(r["messageId"], r["body"]) for r in event.to_dict()["Records"]]
    failed = Consumer(stores(), enrich=enricher(stores())).process(records)
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}


@app.schedule(Rate(1, unit=Rate.HOURS), name="sweep_counters")
def sweep(event: Any) -> dict[str, int]:
    """Prune daily counters that fell out of the rolling window on contacts that went quiet."""
    return sweep_counters(stores())
