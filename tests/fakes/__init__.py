"""In-memory fakes of every port (``chalicelib.ports``), and ``fake_ports`` wiring them all.

They keep the contracts the DynamoDB/SQS/HTTP adapters keep (``tests/contract`` runs one suite against
both), so use cases can be tested without moto: ``ports = fake_ports(); Consumer(ports).process(...)``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.clock import Clock, FixedClock
from chalicelib.messaging import policies
from chalicelib.ports import Ports
from chalicelib.providers.senders import ChannelSenders
from chalicelib.settings import Settings
from tests.fakes.address_suppressions import FakeAddressSuppressions
from tests.fakes.campaigns import FakeCampaignStore
from tests.fakes.caps import FakeCapCounter
from tests.fakes.catalog import FakeCatalog
from tests.fakes.contacts import FakeContactStore
from tests.fakes.dead_letters import FakeDeadLetters
from tests.fakes.downloader import FakeDownloader
from tests.fakes.events import FakeEventLog
from tests.fakes.https_get import FakeHttpsGetter
from tests.fakes.inbox import FakeInboxStore
from tests.fakes.interest import FakeInterestIndex
from tests.fakes.machines import FakeMachines
from tests.fakes.merges import FakeContactMerges
from tests.fakes.messages import FakeMessageStore
from tests.fakes.meta import FakeFieldStore, FakeImportJobStore, FakeKeyStore
from tests.fakes.orders import FakeOrderStore
from tests.fakes.publisher import FakePublisher
from tests.fakes.queue_status import FakeQueueStatus
from tests.fakes.rates import FakeRateLimiter
from tests.fakes.recommendations import FakeRecommendationStore
from tests.fakes.segments import FakeMemberships, FakeSegmentStore
from tests.fakes.suppressions import FakeSuppressions
from tests.fakes.templates import FakeTemplateStore
from tests.fakes.webhooks import FakeWebhooks
from tests.fakes.widgets import FakeWidgetStore
from tests.fakes.workflows import FakeJourneyStore, FakeWorkflowStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

__all__ = [
    "FakeAddressSuppressions",
    "NOW",
    "FakeCampaignStore",
    "FakeCapCounter",
    "FakeCatalog",
    "FakeContactMerges",
    "FakeContactStore",
    "FakeDeadLetters",
    "FakeDownloader",
    "FakeEventLog",
    "FakeHttpsGetter",
    "FakeFieldStore",
    "FakeImportJobStore",
    "FakeInboxStore",
    "FakeJourneyStore",
    "FakeKeyStore",
    "FakeMachines",
    "FakeMemberships",
    "FakeMessageStore",
    "FakeOrderStore",
    "FakePublisher",
    "FakeRateLimiter",
    "FakeInterestIndex",
    "FakeRecommendationStore",
    "FakeSegmentStore",
    "FakeSuppressions",
    "FakeTemplateStore",
    "FakeWebhooks",
    "FakeWidgetStore",
    "FakeWorkflowStore",
    "fake_ports",
]


def fake_ports(clock: Clock | None = None, settings: Settings | None = None) -> Ports:
    """Every port served in memory: default ``Settings()`` and a ``FixedClock`` at ``NOW`` unless given."""
    publisher = FakePublisher()
    contacts = FakeContactStore()
    clock = clock or FixedClock(NOW)
    settings = settings or Settings()
    messages = FakeMessageStore()
    inbox = FakeInboxStore()
    return Ports(
        settings=settings,
        clock=clock,
        contacts=contacts,
        events=FakeEventLog(),
        orders=FakeOrderStore(),
        keys=FakeKeyStore(),
        fields=FakeFieldStore(),
        imports=FakeImportJobStore(),
        catalog=FakeCatalog(),
        publisher=publisher,
        downloader=FakeDownloader(),
        dead_letters=(dead_letters := FakeDeadLetters(publisher)),
        suppressions=FakeSuppressions(),
        merges=FakeContactMerges(contacts),
        queue_status=FakeQueueStatus(publisher, dead_letters),
        segments=FakeSegmentStore(clock),
        memberships=FakeMemberships(),
        templates=FakeTemplateStore(),
        widgets=FakeWidgetStore(),
        messages=messages,
        senders=ChannelSenders(settings, messages, clock, inbox=inbox),
        inbox=inbox,
        addresses=FakeAddressSuppressions(),
        machines=FakeMachines(),
        workflows=FakeWorkflowStore(),
        journeys=FakeJourneyStore(clock),
        webhooks=FakeWebhooks(),
        recommendations=FakeRecommendationStore(),
        interest=FakeInterestIndex(),
        caps=FakeCapCounter(),
        campaigns=FakeCampaignStore(),
        rates=FakeRateLimiter(),
        fetcher=FakeHttpsGetter(),
        policies=policies.from_settings(
            settings.caps, settings.send_hours, settings.default_time_zone, settings.provider_rates
        ),
    )
