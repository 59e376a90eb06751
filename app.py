"""Orbit: wiring only. Blueprints, middleware, queue consumer and schedules are registered here."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Chalice, Rate, Response, SQSEvent

from chalicelib import jobs, logs
from chalicelib.api import (
    callbacks,
    campaigns,
    chat_links,
    contacts,
    docs,
    events,
    fields,
    inbox,
    lists,
    messages,
    products,
    recommendations,
    segments,
    subscriptions,
    suppressions,
    templates,
    tracking,
    triggers,
    widgets,
    workflows,
)
from chalicelib.api.middleware import error_shape
from chalicelib.settings import get_settings
from chalicelib.web import outbox
from chalicelib.web import routes as web

app = Chalice(app_name="orbit", configure_logs=False)  # chalicelib.logs owns the "orbit" logger
# bodies pass API Gateway byte for byte (gzip, one-click unsubscribe forms), and so does the open pixel's GIF
app.api.binary_types += ["application/*", "text/*", "multipart/form-data", "image/*"]
app.log.setLevel(logging.INFO)
logs.configure()
app.experimental_feature_flags.update(["BLUEPRINTS"])
for module in (
    contacts,
    events,
    fields,
    tracking,
    products,
    lists,
    segments,
    templates,
    messages,
    campaigns,
    inbox,
    subscriptions,
    suppressions,
    callbacks,
    chat_links,
    widgets,
    workflows,
    triggers,
    recommendations,
    docs,
    outbox,
    web,
):
    app.register_blueprint(module.bp)


@app.middleware("http")
def correlate(event: Any, get_response: Any) -> Response:
    """Every request runs under a correlation id (the client's ``X-Request-Id``, else API Gateway's request id,
    else a new one), echoed in the response; the events it queues carry it to the consumer's logs."""
    given = (event.headers or {}).get("x-request-id") or (event.context or {}).get("requestId")
    request_id = given if isinstance(given, str) and 0 < len(given) <= 128 else logs.new_id()
    with logs.correlated(request_id, path=event.path, method=event.method):
        response: Response = get_response(event)
    response.headers["X-Request-Id"] = request_id
    return response


# Every error leaves in one JSON shape, including Chalice's own and unexpected ones.
app.register_middleware(error_shape, "http")


# Batches of up to 100 gathered over up to 2 s: a visitor's burst of events lands in one batch, so
# their contact is written once for many events (the main write-cost lever, see docs/cost.md).
@app.on_sqs_message(
    queue=get_settings().events_queue, batch_size=100, maximum_batching_window_in_seconds=2, name="consume_events"
)
def consume_events(event: SQSEvent) -> dict[str, Any]:
    """Apply queued events, orders and identity messages; report partial failures."""
    return jobs.consume_events(event.to_dict()["Records"])


# Import chunks run on their own queue, so a 3,000-row import never delays live events.
@app.on_sqs_message(queue=get_settings().imports_queue, batch_size=5, name="consume_imports")
def consume_imports(event: SQSEvent) -> dict[str, Any]:
    """Apply background work (import chunks, list member chunks, segment computation parts); report partial
    failures."""
    return jobs.consume_imports(event.to_dict()["Records"])


@app.schedule(Rate(1, unit=Rate.HOURS), name="sweep_counters")
def sweep(event: Any) -> dict[str, int]:
    """Prune daily counters that fell out of the rolling window on contacts that went quiet."""
    return jobs.sweep()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_segments")
def sweep_segments(event: Any) -> dict[str, int]:
    """Re-evaluate the contacts whose segment membership may have changed with time alone since the last run."""
    return jobs.sweep_segments()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="campaigns_due")
def campaigns_due(event: Any) -> dict[str, int]:
    """Start the scheduled campaigns that are due and queue the campaign sends deferred to the send hours."""
    return jobs.campaigns_due()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="workflow_schedules")
def workflow_schedules(event: Any) -> dict[str, int]:
    """Start the runs of scheduled workflows that are due: a journey for each member of the schedule's segment."""
    return jobs.workflow_schedules()


@app.schedule(Rate(1, unit=Rate.HOURS), name="recommendations")
def rebuild_recommendations(event: Any) -> dict[str, object]:
    """Rebuild the precomputed recommendation lists (bestsellers, trending, viewed/bought together, similar,
    alternatives) from the last 90 days of events and the catalog."""
    return jobs.recommendations()


@app.schedule(Rate(1, unit=Rate.DAYS), name="reorder_due")
def reorder_due(event: Any) -> dict[str, object]:
    """Publish a ``Reorder Due`` event for each product a contact buys regularly and is expected to buy again within
    two days (the regularDemand trigger answers it)."""
    return jobs.reorder_due()


# Workflows' state machines call it from their Task states (docs/operators.md, Workflows); it raises, so Step
# Functions sees the error's name (Retryable, JourneyStopped) for its Retry and Catch.
@app.lambda_function(name="workflow_task")
def workflow_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one task of a workflow's journey: a stretch of blocks, a parked wait, a recorded failure."""
    return jobs.workflow_task(event)


# CloudWatch Logs subscription filters on SNS's delivery status log groups invoke it (docs/providers.md).
@app.lambda_function(name="sns_delivery_status")
def sns_delivery_status(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Mark SMS and push messages delivered or undelivered from SNS's delivery status records."""
    return jobs.sns_delivery_status(event)
