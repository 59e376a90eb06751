"""Ports: the stores and side effects the use cases talk to, as typing Protocols, and their bundle.

Adapters in ``storage/`` (DynamoDB, SQS) and ``providers/`` (HTTP) implement them; in-memory fakes in
``tests/fakes`` implement them too, and ``tests/contract`` runs one suite against both. Nothing here
knows about AWS: a method's contract is written in its docstring, and the contract suite holds every
implementation to it.

The Protocols live one module per concern (``customers``, ``queues``, ``segments``, ``messaging``, ``journeys``,
``products``); this package gathers them and the ``Ports`` bundle, so ``from chalicelib.ports import X`` serves all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.clock import Clock
from chalicelib.contacts.changes import ContactChanges
from chalicelib.messaging.policies import Policies
from chalicelib.ports.customers import (
    Catalog,
    ContactMerges,
    ContactStore,
    EventLog,
    FeedDownloader,
    FieldStore,
    ImportJobStore,
    KeyStore,
    Order,
    OrderStore,
    Suppressions,
)
from chalicelib.ports.journeys import (
    JourneyStore,
    StateMachines,
    Webhooks,
    WorkflowStore,
)
from chalicelib.ports.messaging import (
    AddressSuppressions,
    CampaignStore,
    CapCounter,
    HttpsGetter,
    InboxItem,
    InboxStore,
    MessageStore,
    RateLimiter,
    Sender,
    Senders,
    TemplateStore,
    WidgetStore,
)
from chalicelib.ports.products import (
    InterestIndex,
    RecommendationStore,
)
from chalicelib.ports.queues import (
    DeadLetters,
    Publisher,
    QueueState,
    QueueStatus,
)
from chalicelib.ports.segments import (
    Memberships,
    SegmentStore,
)
from chalicelib.settings import Settings

__all__ = [
    "AddressSuppressions",
    "CampaignStore",
    "CapCounter",
    "Catalog",
    "ContactMerges",
    "ContactStore",
    "DeadLetters",
    "EventLog",
    "FeedDownloader",
    "FieldStore",
    "HttpsGetter",
    "ImportJobStore",
    "InboxItem",
    "InboxStore",
    "InterestIndex",
    "JourneyStore",
    "KeyStore",
    "Memberships",
    "MessageStore",
    "Order",
    "OrderStore",
    "Ports",
    "Publisher",
    "QueueState",
    "QueueStatus",
    "RateLimiter",
    "RecommendationStore",
    "SegmentStore",
    "Sender",
    "Senders",
    "StateMachines",
    "Suppressions",
    "TemplateStore",
    "Webhooks",
    "WidgetStore",
    "WorkflowStore",
]


@dataclass
class Ports:
    """Everything a use case may touch, wired by the composition root (``chalicelib.deps``)."""

    settings: Settings
    clock: Clock
    contacts: ContactStore
    events: EventLog
    orders: OrderStore
    keys: KeyStore
    fields: FieldStore
    imports: ImportJobStore
    catalog: Catalog
    publisher: Publisher
    downloader: FeedDownloader
    dead_letters: DeadLetters
    suppressions: Suppressions
    merges: ContactMerges
    queue_status: QueueStatus
    segments: SegmentStore
    memberships: Memberships
    templates: TemplateStore
    messages: MessageStore
    senders: Senders
    caps: CapCounter
    campaigns: CampaignStore
    rates: RateLimiter
    fetcher: HttpsGetter
    widgets: WidgetStore
    inbox: InboxStore
    addresses: AddressSuppressions  # the stage's suppressed email addresses and phone numbers
    machines: StateMachines  # Step Functions: workflows' state machines and their executions
    workflows: WorkflowStore  # workflow records and their published revisions (meta table)
    journeys: JourneyStore  # journeys, parked waits, block counters, history (journeys table)
    webhooks: Webhooks  # workflows' webhook calls (private addresses refused unless the stage allows them)
    recommendations: RecommendationStore  # precomputed recommendation lists (products table)
    interest: InterestIndex  # who viewed, carted or wishlisted a product lately (products table)
    changes: ContactChanges = field(default_factory=ContactChanges)
    policies: Policies = field(default_factory=Policies)  # frequency caps and send hours (messaging/policies.py)
