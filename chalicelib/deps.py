"""Composition root: builds the stores and services from settings and AWS clients, once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chalicelib import aws
from chalicelib.clock import Clock, ScaledClock, SystemClock
from chalicelib.settings import Settings, get_settings
from chalicelib.storage.contacts import DynamoContactStore
from chalicelib.storage.dynamo import Table
from chalicelib.storage.events import DynamoEventStore
from chalicelib.storage.meta import DynamoMetaStore
from chalicelib.storage.orders import DynamoOrderStore
from chalicelib.storage.products import DynamoProductStore
from chalicelib.storage.queue import SqsQueue


@dataclass
class Stores:
    settings: Settings
    clock: Clock
    contacts: DynamoContactStore
    events: DynamoEventStore
    orders: DynamoOrderStore
    meta: DynamoMetaStore
    queue: SqsQueue
    products: DynamoProductStore


def build(settings: Settings, clock: Clock | None = None) -> Stores:
    ddb = aws.dynamodb()
    if clock is None:
        clock = ScaledClock(settings.time_scale) if settings.time_scale != 1.0 else SystemClock()
    return Stores(
        settings=settings,
        clock=clock,
        contacts=DynamoContactStore(Table(ddb, settings.contacts_table)),
        events=DynamoEventStore(Table(ddb, settings.events_table, index_copies=1), settings.events_retention_days),
        orders=DynamoOrderStore(Table(ddb, settings.orders_table)),
        meta=DynamoMetaStore(Table(ddb, settings.meta_table)),
        queue=SqsQueue(aws.sqs(), settings.events_queue),
        products=DynamoProductStore(Table(ddb, settings.products_table)),
    )


_pinned: Stores | None = None


@cache
def _from_settings() -> Stores:
    return build(get_settings())


def stores() -> Stores:
    """The process-wide stores (or the ones a test or the local runtime pinned)."""
    return _pinned or _from_settings()


def pin(pinned: Stores | None) -> None:
    """Use these stores for every handler in this process (tests inject a fixed clock this way)."""
    global _pinned
    _pinned = pinned


def reset() -> None:
    pin(None)
    _from_settings.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
