"""Composition root: the one place that knows which adapter serves which port, and who listens to
contact changes. Only the edges (``app``, ``api``, ``cli``, ``local``) import it."""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING

from chalicelib.clock import Clock, ScaledClock, SystemClock
from chalicelib.contacts.changes import ContactChanges, Listener
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.ports import Ports
    from chalicelib.services.consumer import Consumer

# The adapters (and with them boto3, botocore and the feed downloader's http.client/ssl) are imported in
# ``build`` and ``consumer``, not here: every Lambda imports this module at cold start, and a function that
# never reaches AWS (the docs page, a health check) should not pay for them (docs/benchmarks.md, cold start).

# Further listeners of every contact change (real-time segments subscribe in ``subscribe_engines``).
LISTENERS: tuple[Listener, ...] = ()


def build(settings: Settings, clock: Clock | None = None, listeners: tuple[Listener, ...] = LISTENERS) -> Ports:
    """Ports served by DynamoDB, SQS and HTTP for ``settings``' stage."""
    from chalicelib import aws
    from chalicelib.messages import Stream
    from chalicelib.messaging import policies
    from chalicelib.ports import Ports
    from chalicelib.providers.feed_download import HttpFeedDownloader
    from chalicelib.providers.https_get import HttpsGetter
    from chalicelib.providers.senders import ChannelSenders
    from chalicelib.providers.webhooks import HttpWebhooks
    from chalicelib.storage.address_suppressions import DynamoAddressSuppressions
    from chalicelib.storage.campaigns import DynamoCampaignStore
    from chalicelib.storage.caps import DynamoCapCounter
    from chalicelib.storage.contacts import DynamoContactMerges, DynamoContactStore
    from chalicelib.storage.dead_letters import SqsDeadLetters
    from chalicelib.storage.dynamo import Table
    from chalicelib.storage.events import DynamoEventStore
    from chalicelib.storage.fields import DynamoFieldStore
    from chalicelib.storage.imports import DynamoImportJobStore
    from chalicelib.storage.inbox import DynamoInboxStore
    from chalicelib.storage.interest import DynamoInterestIndex
    from chalicelib.storage.journeys import DynamoJourneyStore
    from chalicelib.storage.keys import DynamoKeyStore
    from chalicelib.storage.messages import DynamoMessageStore
    from chalicelib.storage.orders import DynamoOrderStore
    from chalicelib.storage.products import DynamoProductStore
    from chalicelib.storage.queue import SqsPublisher, SqsQueue
    from chalicelib.storage.queue_status import SqsQueueStatus
    from chalicelib.storage.rates import DynamoRateLimiter
    from chalicelib.storage.recommendations import DynamoRecommendationStore
    from chalicelib.storage.segments import DynamoMemberships, DynamoSegmentStore
    from chalicelib.storage.state_machines import StepFunctionsMachines
    from chalicelib.storage.suppressions import DynamoSuppressions
    from chalicelib.storage.templates import DynamoTemplateStore
    from chalicelib.storage.widgets import DynamoWidgetStore
    from chalicelib.storage.workflows import DynamoWorkflowStore

    ddb = aws.dynamodb()
    sqs = aws.sqs()
    if clock is None:
        clock = ScaledClock(settings.time_scale) if settings.time_scale != 1.0 else SystemClock()
    meta = Table(ddb, settings.meta_table)
    contacts = Table(ddb, settings.contacts_table)
    segments = Table(ddb, settings.segments_table)
    messages = DynamoMessageStore(Table(ddb, settings.messages_table), clock, settings.events_retention_days)
    inbox = DynamoInboxStore(Table(ddb, settings.messages_table))
    queues: dict[Stream, SqsQueue] = {
        "events": SqsQueue(sqs, settings.events_queue, sleep=time.sleep),
        "imports": SqsQueue(sqs, settings.imports_queue, sleep=time.sleep),
    }
    dlqs: dict[Stream, SqsQueue] = {
        "events": SqsQueue(sqs, settings.events_dlq, sleep=time.sleep),
        "imports": SqsQueue(sqs, settings.imports_dlq, sleep=time.sleep),
    }
    wired = Ports(
        settings=settings,
        clock=clock,
        contacts=DynamoContactStore(contacts),
        events=DynamoEventStore(Table(ddb, settings.events_table), settings.events_retention_days),
        orders=DynamoOrderStore(Table(ddb, settings.orders_table)),
        keys=DynamoKeyStore(meta),
        fields=DynamoFieldStore(meta),
        imports=DynamoImportJobStore(meta),
        catalog=DynamoProductStore(Table(ddb, settings.products_table)),
        publisher=SqsPublisher(queues),
        dead_letters=SqsDeadLetters(queues, dlqs),
        suppressions=DynamoSuppressions(meta),
        merges=DynamoContactMerges(contacts),
        queue_status=SqsQueueStatus(queues, dlqs, cloudwatch=aws.cloudwatch),
        segments=DynamoSegmentStore(segments, clock),
        memberships=DynamoMemberships(segments),
        templates=DynamoTemplateStore(meta),
        widgets=DynamoWidgetStore(meta),
        messages=messages,
        senders=ChannelSenders(settings, messages, clock, clients=aws.client, inbox=inbox),
        inbox=inbox,
        addresses=DynamoAddressSuppressions(Table(ddb, settings.messages_table)),
        machines=StepFunctionsMachines(aws.stepfunctions, settings.workflow_role_arn, settings.workflow_start_on),
        workflows=DynamoWorkflowStore(meta),
        journeys=DynamoJourneyStore(Table(ddb, settings.journeys_table), clock, settings.events_retention_days),
        webhooks=HttpWebhooks(settings.allow_private_webhooks, allow_http=settings.allow_private_webhooks),
        recommendations=DynamoRecommendationStore(Table(ddb, settings.products_table)),
        interest=DynamoInterestIndex(Table(ddb, settings.products_table)),
        caps=DynamoCapCounter(Table(ddb, settings.messages_table), clock, settings.events_retention_days),
        campaigns=DynamoCampaignStore(Table(ddb, settings.messages_table), clock, settings.events_retention_days),
        rates=DynamoRateLimiter(Table(ddb, settings.messages_table)),
        fetcher=HttpsGetter(),
        policies=policies.from_settings(
            settings.caps, settings.send_hours, settings.default_time_zone, settings.provider_rates
        ),
        downloader=HttpFeedDownloader(),
        changes=ContactChanges(list(listeners)),
    )
    subscribe_engines(wired)
    return wired


def subscribe_engines(wired: Ports) -> None:
    """The listeners that act on every contact change for these ports, both critical (a failure fails the change's
    records, and their redelivery replays it): real-time segments, then journeys (starts, stops, resumed waits,
    goals). The interest index listens too, not critically (a lost note only misses one shopper's alert)."""
    from chalicelib.services import interest
    from chalicelib.services.segments import realtime
    from chalicelib.services.workflows import listener

    wired.changes.subscribe(realtime.listener(wired), critical=True)
    wired.changes.subscribe(listener.listener(wired), critical=True)
    wired.changes.subscribe(interest.listener(wired))


def consumer(wired: Ports) -> Consumer:
    """The queue consumer for one batch (its catalog cache lives as long as the batch)."""
    from chalicelib.services.catalog import enricher
    from chalicelib.services.consumer import Consumer

    return Consumer(wired, enrich=enricher(wired))


_pinned: Ports | None = None


@cache
def _from_settings() -> Ports:
    return build(get_settings())


def ports() -> Ports:
    """The process-wide ports (or the ones a test or the local runtime pinned)."""
    return _pinned or _from_settings()


def pin(pinned: Ports | None) -> None:
    """Use these ports for every handler in this process (tests inject a fixed clock this way)."""
    global _pinned
    _pinned = pinned


def reset() -> None:
    from chalicelib import aws

    pin(None)
    _from_settings.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
