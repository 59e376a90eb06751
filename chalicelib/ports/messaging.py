"""Ports of messages: the send ledger and records, the inbox, campaigns, caps, rates, providers, templates, widgets
and suppressed addresses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.messaging.address_suppressions import AddressSuppression
from chalicelib.messaging.campaigns import Campaign, CampaignStatus
from chalicelib.messaging.chat_links import LinkCode
from chalicelib.messaging.ledger import Claim
from chalicelib.messaging.outbound import Mark, Message, OutboxItem, Outgoing, SendResult, Status
from chalicelib.messaging.placements import Widget
from chalicelib.messaging.templates import Template


class AddressSuppressions(Protocol):
    """The stage's suppression list of addresses (``messaging/address_suppressions.py``), by channel and normalised
    address: unlike ``Suppressions`` it keeps the addresses themselves, so operators can list and lift them."""

    def suppress(self, entry: AddressSuppression) -> None:
        """Add ``entry`` (an address on the list already gets this entry's reason, source and time)."""
        ...

    def suppression(self, channel: str, address: str) -> AddressSuppression | None:
        """The entry for ``address`` on ``channel`` (None: not suppressed); a strongly consistent read."""
        ...

    def lift(self, channel: str, address: str) -> bool:
        """Take ``address`` off the list; True when this call did (False: it was not on it)."""
        ...

    def suppressions(
        self, channel: str, limit: int, cursor: str | None = None
    ) -> tuple[list[AddressSuppression], str | None]:
        """Up to ``limit`` entries of ``channel`` in address order, and a cursor for the next page (None: no more).
        A cursor not from this listing is InvalidInput."""
        ...


class MessageStore(Protocol):
    """The send ledger, message records with their counters, the first time recipients did something to a
    message, the sandbox's outbox, and the stage's link secret."""

    def claim(self, claim: Claim) -> Claim:
        """Record ``claim`` unless its ledger key is claimed; returns the stored claim either way (the first wins,
        so a retry gets back the message id the first attempt claimed)."""
        ...

    def create_message(self, message: Message) -> Message:
        """Store a new message unless one with its id exists; returns the stored one."""
        ...

    def message(self, message_id: str) -> Message | None: ...

    def update_message(self, message_id: str, expected: Status, changes: Mapping[str, Any]) -> Message:
        """Set ``changes`` (``Message`` field names other than ``id``, ``counters`` and ``first``) only if the stored
        status is ``expected``, and return the message as stored after it. Conflict when the status differs
        (writing nothing); NotFound when there is no such message."""
        ...

    def count(self, message_id: str, counter: str, at: str) -> None:
        """Add one to the message's ``counter``; the first time, ``at`` becomes its first moment. A message that
        does not exist is left alone."""
        ...

    def mark(self, message_id: str, act: str, at: str) -> Mark:
        """The first time ``act`` happened to the message (``open``, ``click:<link>``, ``unsubscribe``): the first
        call records ``at``; every call returns what is stored."""
        ...

    def mark_done(self, message_id: str, act: str) -> None:
        """Note that the event announcing ``act`` was published (a later ``mark`` returns ``done``)."""
        ...

    def record_outbox(self, item: OutboxItem) -> None:
        """Keep the sandbox's copy of a message; recording the same message id again changes nothing."""
        ...

    def outbox(
        self, limit: int, cursor: str | None = None, *, channel: str | None = None, contact_key: str | None = None
    ) -> tuple[list[OutboxItem], str | None]:
        """Up to ``limit`` outbox items, newest first, of ``channel`` and ``contact_key`` when given, and a cursor
        for the next page (None: no more); a page may hold fewer while more follow. A cursor not from this
        listing is InvalidInput."""
        ...

    def outbox_item(self, message_id: str) -> OutboxItem | None: ...

    def stage_secret(self, candidate: str) -> str:
        """The stage's stored link-signing secret; when there is none, ``candidate`` is stored and returned (the
        first caller wins, so every process signs with the same one)."""
        ...

    def remember_provider_id(self, provider: str, provider_id: str, message_id: str) -> None:
        """Note that ``provider`` knows the message ``message_id`` as ``provider_id`` (its callbacks name it so);
        kept as long as message records."""
        ...

    def message_by_provider_id(self, provider: str, provider_id: str) -> Message | None:
        """The message ``provider`` knows as ``provider_id`` (None: none remembered, or no such message)."""
        ...

    def remember_link_code(self, link: LinkCode) -> None:
        """Keep a chat link code (``messaging/chat_links.py``) until it expires."""
        ...

    def link_code(self, code: str) -> LinkCode | None:
        """The link code as stored (expired or not: ``live`` says), None when there is none."""
        ...

    def remember_chat(self, channel: str, identifier: str, contact_key: str) -> None:
        """Note that the Telegram chat or Viber user ``identifier`` is the contact ``contact_key``'s (the latest
        link wins); kept as long as message records, from the latest link."""
        ...

    def chat_contact(self, channel: str, identifier: str) -> str | None:
        """The contact key the chat ``identifier`` on ``channel`` was last linked to (None: never linked)."""
        ...


@dataclass(frozen=True)
class InboxItem:
    """One message in a contact's app inbox, as the app shows it (``services/messaging/inbox.py``)."""

    message_id: str
    contact_key: str
    title: str
    created_at: str  # ISO; message ids sort by it, so the inbox lists newest first
    body: str | None = None
    image: str | None = None
    link: str | None = None
    expires_at: str | None = None  # ISO (None: kept until hidden); from then on it is neither listed nor counted
    read_at: str | None = None  # ISO, when the app first marked it read (None: unread)


class InboxStore(Protocol):
    """Each contact's app inbox: items by message id, newest first, with their read state and an unread count.
    An item expired at ``now`` or hidden is gone for every method (never listed, counted, read or hidden)."""

    def add(self, item: InboxItem) -> bool:
        """Store ``item`` unread unless the contact's inbox holds its message id (even hidden); True when this call
        stored it (adding the same message id again changes nothing)."""
        ...

    def item(self, contact_key: str, message_id: str, now: datetime) -> InboxItem | None: ...

    def items(
        self, contact_key: str, now: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[InboxItem], str | None]:
        """Up to ``limit`` of the contact's items, newest first, and a cursor for the next page (None: no more); a
        page may hold fewer while more follow. A cursor not from this contact's listing is InvalidInput."""
        ...

    def unread(self, contact_key: str, now: datetime) -> int:
        """How many of the contact's items are unread (reads the contact's unread markers only, never the items)."""
        ...

    def mark_read(self, contact_key: str, message_id: str, at: datetime) -> bool:
        """Mark the item read at ``at``; True when this call did (False: read before, or no such item)."""
        ...

    def hide(self, contact_key: str, message_id: str, at: datetime) -> bool:
        """Take the item out of the inbox; True when this call did (False: hidden before, or no such item)."""
        ...


class CampaignStore(Protocol):
    """Campaigns with their progress, each member's outcome, and the work due at a time (scheduled campaigns,
    messages deferred to the send hours)."""

    def create(self, campaign: Campaign) -> None:
        """Store a new campaign; Conflict when its id exists."""
        ...

    def campaign(self, campaign_id: str) -> Campaign | None: ...

    def campaigns(self) -> list[Campaign]:
        """Every campaign, oldest first (ids sort by creation)."""
        ...

    def update(self, campaign_id: str, expected: CampaignStatus, changes: Mapping[str, Any]) -> Campaign:
        """Set ``changes`` (``status``, ``generation``, ``fanned_out``, ``updated_at``) only if the stored status
        is ``expected``; Conflict otherwise, NotFound when there is no such campaign."""
        ...

    def record(self, campaign_id: str, mark: str, outcome: str, message_id: str | None = None, n: int = 1) -> bool:
        """Record ``outcome`` under ``mark`` (``page:<n>`` or a contact key) unless one is recorded there, and then
        add ``n`` to the campaign's ``outcome`` progress; True when this call recorded it (a repeated call changes
        nothing)."""
        ...

    def outcomes(self, campaign_id: str) -> Iterator[tuple[str, str, str | None]]:
        """(contact key, outcome, message id) of each member with an outcome."""
        ...

    def schedule(self, at: str, key: str, body: str) -> None:
        """Keep ``body`` (a queue message body) until ``at`` (ISO); the same (``at``, ``key``) again is one entry."""
        ...

    def due(self, until: str, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` entries due by ``until``, earliest first: (entry id, body)."""
        ...

    def done(self, entry: str) -> None:
        """Drop a due entry (it was queued)."""
        ...


class CapCounter(Protocol):
    """Messages sent per contact, channel and UTC day, for the frequency caps (``messaging/policies.py``)."""

    def counts(self, contact_key: str, channel: str, days: Sequence[str]) -> dict[str, int]:
        """The messages counted on each of ``days`` (ISO dates; a day with none is absent)."""
        ...

    def count(self, contact_key: str, channel: str, day: str, message_id: str, limit: int | None) -> bool:
        """Count ``message_id`` on ``day`` unless the day's count has reached ``limit`` (None: no limit); True when
        it is counted, now or by an earlier call (counting a message id again changes nothing)."""
        ...


class HttpsGetter(Protocol):
    """Small documents by https GET (SNS signing certificates, subscription confirmations): no redirects, a timeout
    and a size cap."""

    def get(self, url: str) -> bytes:
        """The body of a 2xx answer to GET ``url``. Permanent: not an https URL, a redirect (never followed) or a
        body over the cap; Retryable: no answer in time, the connection failed, or another status."""
        ...


class RateLimiter(Protocol):
    """Counts in fixed time windows shared by every process (provider send rates, test sends per template)."""

    def take(self, name: str, window: int, limit: int) -> bool:
        """Count one in ``name``'s window ``window`` (the epoch second it starts) unless ``limit`` are counted in it
        already; False when the window is full (nothing counted). Windows are kept at least two minutes."""
        ...


class Sender(Protocol):
    """One provider's way of delivering messages on a channel."""

    name: str  # the provider, as messages record it: "sandbox", "ses", ...
    idempotent: bool  # sending a message id again is safe (the sender or its provider dedupes by it)

    def send(self, message: Outgoing) -> SendResult:
        """Hand ``message`` to the provider. Retryable: it did not take it, a later try may succeed; Permanent: it
        refused it for good (the reason in the message)."""
        ...


class Senders(Protocol):
    """Which sender serves each channel on this stage."""

    def sender(self, channel: str) -> Sender:
        """The channel's sender; Permanent when the stage has none for it."""
        ...

    def providers(self) -> dict[str, str]:
        """Each channel's provider name (``sandbox`` unless configured otherwise)."""
        ...

    def callback_secret(self, provider: str) -> str:
        """The secret ``provider`` signs its callbacks with (``viber``: the bot's auth token), read as its sender
        reads it; Permanent when the stage has none."""
        ...


class TemplateStore(Protocol):
    """Message templates by id, with an optimistic revision."""

    def create_template(self, template: Template) -> None:
        """Store a new template; Conflict when its id exists."""
        ...

    def template(self, template_id: str) -> Template | None: ...

    def templates(self) -> list[Template]:
        """Every template, oldest first (``createdAt``, then id); one saved a moment ago is listed."""
        ...

    def replace_template(self, template: Template, expected_revision: int) -> None:
        """Store ``template`` (its ``revision`` already raised) only if the stored one is at ``expected_revision``;
        Conflict otherwise, writing nothing. NotFound when there is no such template."""
        ...

    def delete_template(self, template_id: str) -> None:
        """Remove a template; NotFound when there is none."""
        ...


class WidgetStore(Protocol):
    """On-site widgets (orbit.js placements) by id, with an optimistic revision."""

    def create_widget(self, widget: Widget) -> None:
        """Store a new widget; Conflict when its id exists."""
        ...

    def widget(self, widget_id: str) -> Widget | None: ...

    def widgets(self) -> list[Widget]:
        """Every widget, oldest first (``createdAt``, then id); one saved a moment ago is listed."""
        ...

    def replace_widget(self, widget: Widget, expected_revision: int) -> None:
        """Store ``widget`` only if the stored one is at ``expected_revision``; Conflict otherwise, NotFound when
        there is no such widget."""
        ...

    def delete_widget(self, widget_id: str) -> None:
        """Remove a widget; NotFound when there is none."""
        ...
