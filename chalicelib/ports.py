"""Ports: the stores and side effects the use cases talk to, as typing Protocols, and their bundle.

Adapters in ``storage/`` (DynamoDB, SQS) and ``providers/`` (HTTP) implement them; in-memory fakes in
``tests/fakes`` implement them too, and ``tests/contract`` runs one suite against both. Nothing here
knows about AWS: a method's contract is written in its docstring, and the contract suite holds every
implementation to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.auth.keys import ApiKey
from chalicelib.catalog.history import ProductChange
from chalicelib.catalog.models import Download, Product, StoredProduct
from chalicelib.clock import Clock
from chalicelib.contacts.changes import ContactChanges
from chalicelib.contacts.fields import FieldDeclaration
from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event
from chalicelib.messages import DeadLetter, QueueMessage, Stream
from chalicelib.messaging.address_suppressions import AddressSuppression
from chalicelib.messaging.campaigns import Campaign, CampaignStatus
from chalicelib.messaging.chat_links import LinkCode
from chalicelib.messaging.ledger import Claim
from chalicelib.messaging.outbound import Mark, Message, OutboxItem, Outgoing, SendResult, Status
from chalicelib.messaging.placements import Widget
from chalicelib.messaging.policies import Policies
from chalicelib.messaging.templates import Template
from chalicelib.recommendations.counts import KeptCounts
from chalicelib.recommendations.models import Scored
from chalicelib.segments.models import (
    UNREAD,
    BuildPart,
    BuildProgress,
    Generation,
    MemberState,
    SegmentDef,
    Unread,
    Written,
)
from chalicelib.settings import Settings
from chalicelib.workflows.journeys import BlockCounts, Journey, JourneyStatus, Park, StepRecord, WorkflowRecord

Order = dict[str, Any]


class ContactStore(Protocol):
    """Contacts, provisional profiles and alias links, keyed by contact key, with optimistic versions."""

    def load(self, key: str) -> ContactRecord | None: ...

    def load_many(self, keys: list[str]) -> dict[str, ContactRecord]:
        """The stored records among ``keys`` (missing ones left out)."""
        ...

    def save(self, rec: ContactRecord, old: ContactRecord | None) -> None:
        """Write ``rec`` if the stored version is still ``old``'s (absent when ``old`` is None); sets
        ``rec.version``. Raises Conflict otherwise and writes nothing."""
        ...

    def delete(self, rec: ContactRecord) -> None: ...

    def scan(self, segment: int = 0, total_segments: int = 1) -> Iterator[ContactRecord]:
        """One of ``total_segments`` disjoint parts of all records; together they are all of them."""
        ...

    def scan_part(
        self, part: int, parts: int, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """One page of parallel-scan segment ``part`` of ``parts``: up to ``limit`` items read, of which the known
        contacts (a page may hold fewer, even none, while more follow), and where the part goes on (None: it
        ends). Together the parts hold every known contact once. ``start`` must be one this method returned
        for the same part, else InvalidInput."""
        ...

    def find(self, attr: str, value: str) -> list[ContactRecord]:
        """Known contacts (never provisional profiles) whose ``email`` or ``phone`` is ``value``,
        most recently updated first (on AWS from an eventually consistent index)."""
        ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        created: tuple[str | None, str | None] = (None, None),
        updated: tuple[str | None, str | None] = (None, None),
        fields: dict[str, Any] | None = None,
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """Up to ``limit`` known contacts (never profiles or aliases) in storage order (unordered), and where the
        next page starts (None: no more). ``created``/``updated`` are inclusive ISO-text bounds (None: open);
        ``fields`` must all equal (a list field: contain) the value. A page may hold fewer than ``limit`` while
        more follow. ``start`` must be one this method returned, else InvalidInput."""
        ...


class EventLog(Protocol):
    """Each contact's events, at most once per event id and time."""

    def insert(self, contact_key: str, event: Event) -> Event | None:
        """Store the event and return None; when this contact already has it (same id and timestamp), write
        nothing and return the stored event (its ``receivedAt`` is when it was stored)."""
        ...

    def activity(self, contact_key: str, limit: int, cursor: str | None = None) -> tuple[list[Event], str | None]:
        """Up to ``limit`` events newest first (by event time), and a cursor for the next page or None.
        A cursor from another contact or not from this log is InvalidInput."""
        ...

    def move_all(self, from_key: str, to_key: str) -> int:
        """Move every event of one contact to another (idempotent); returns how many moved."""
        ...

    def delete_all(self, contact_key: str) -> int: ...

    def since(self, contact_key: str, start: datetime) -> Iterator[Event]:
        """Every event of the contact timed at or after ``start``, oldest first (the event history segments
        backfill counters from; a columnar archive may serve it later)."""
        ...


class OrderStore(Protocol):
    """Orders keyed by ``externalOrderId`` with an optimistic version ``ver``."""

    def load(self, order_id: str) -> Order | None: ...

    def save(self, order: Order, old: Order | None) -> None:
        """Write ``order`` if the stored version is still ``old``'s; sets ``order["ver"]``. Conflict otherwise."""
        ...

    def restore(self, old: Order | None, written: Order) -> None:
        """Undo a ``save`` of ``written`` (whose contact update failed): back to ``old``, or gone."""
        ...

    def for_contact(self, contact_key: str) -> list[Order]: ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        contact_key: str | None = None,
        status: str | None = None,
        dates: tuple[datetime | None, datetime | None] = (None, None),
    ) -> tuple[list[Order], dict[str, Any] | None]:
        """Up to ``limit`` stored orders (unordered; of ``contact_key`` only when given), with ``status`` and a
        ``date`` (as sent, compared as a time) within the inclusive ``dates`` bounds, and where the next
        page starts (None: no more). A page may hold fewer than ``limit`` while more follow. ``start`` must be
        one this method returned for the same ``contact_key``, else InvalidInput."""
        ...

    def delete(self, order: Order) -> None: ...


class KeyStore(Protocol):
    """API keys by the SHA-256 digest of the plaintext (the plaintext is never stored)."""

    def add_key(self, key: ApiKey) -> None: ...

    def key(self, key_hash: str) -> ApiKey | None:
        """The key with this digest; may be served from a short cache (a key created or revoked elsewhere can
        take that long to be seen)."""
        ...

    def all_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key: ApiKey, at: str) -> None: ...


class FieldStore(Protocol):
    """Declared additional contact fields."""

    def add_field(self, decl: FieldDeclaration) -> None:
        """Declare a field once; Conflict when the name is taken."""
        ...

    def fields(self) -> dict[str, FieldDeclaration]: ...

    def update_field(self, decl: FieldDeclaration) -> None:
        """Replace a declared field's declaration; NotFound when it is not declared."""
        ...

    def remove_field(self, name: str) -> None:
        """Remove a declaration; NotFound when it is not declared. Contacts' values are not touched."""
        ...


class ImportJobStore(Protocol):
    """Contact import jobs and the outcome of each chunk, recorded once."""

    def create_import(self, import_id: str, job: dict[str, Any]) -> None: ...

    def import_job(self, import_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The job (None if unknown) and its finished chunks, each with ``chunk``, ``ok`` and ``errors``."""
        ...

    def finish_chunk(self, import_id: str, chunk: int, result: dict[str, Any]) -> bool:
        """Record a chunk's outcome once; False if it was already recorded."""
        ...


class Catalog(Protocol):
    """Products and their price/stock history."""

    def get(self, product_id: str) -> StoredProduct | None: ...

    def get_many(self, product_ids: Iterable[str]) -> dict[str, StoredProduct]: ...

    def history(self, product_id: str, version: int | None = None, limit: int | None = None) -> list[ProductChange]:
        """Committed changes oldest first (the newest ``limit``); changes of versions past ``version`` never
        happened and are not shown."""
        ...

    def save(
        self, product: Product, old: StoredProduct | None, changes: list[ProductChange], now: datetime
    ) -> StoredProduct:
        """Write the product and its changes if the stored version is still ``old``'s; Conflict otherwise
        (and no history is left behind)."""
        ...

    def save_many(self, rows: list[tuple[Product, StoredProduct | None, list[ProductChange]]], now: datetime) -> None:
        """Bulk write; unconditional (the last writer wins)."""
        ...

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        category: str | None = None,
        in_stock: bool | None = None,
    ) -> tuple[list[StoredProduct], dict[str, Any] | None]:
        """Up to ``limit`` current products (unordered) whose ``categoryPath`` holds ``category`` at any level and
        whose ``inStock`` is ``in_stock`` (None: any), and where the next page starts (None: no more). A page may
        hold fewer than ``limit`` while more follow. ``start`` must be one this method returned, else
        InvalidInput."""
        ...


class Publisher(Protocol):
    """Queues messages for the consumers; each message travels on its kind's stream."""

    def publish(self, messages: Sequence[QueueMessage]) -> None:
        """Queue every message or raise Retryable (then some may have been queued: consumers dedupe)."""
        ...


class DeadLetters(Protocol):
    """Each stream's dead-letter queue: what failed for good, to look at and to send back."""

    def park(self, stream: Stream, body: str, reason: str) -> None:
        """Put a body that can never be processed on the stream's dead-letter queue, with its reason."""
        ...

    def peek(self, stream: Stream, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` parked bodies, oldest first where the queue allows, leaving them parked."""
        ...

    def redrive(self, stream: Stream, limit: int) -> int:
        """Send up to ``limit`` parked bodies back to the stream's queue (each once); returns how many."""
        ...


class FeedDownloader(Protocol):
    """Fetches a product feed by URL under the platform's network rules."""

    def download(self, url: str, *, allow_private: bool = False) -> Download:
        """The body, type and final URL; InvalidInput for a bad, private or failing URL, PayloadTooLarge."""
        ...


class Suppressions(Protocol):
    """Identifiers an erasure suppressed, by digest (``contacts/identifiers.digest``; never the identifier itself):
    the consumer drops what names them until an explicit ``PUT /v1/contacts/{id}`` lifts them."""

    def suppress(self, digests: Collection[str], at: str) -> None:
        """Add ``digests`` (suppressing one again keeps it suppressed)."""
        ...

    def suppressed(self, digests: Collection[str]) -> set[str]:
        """Which of ``digests`` are suppressed, in batched reads (on AWS eventually consistent)."""
        ...

    def lift(self, digests: Collection[str]) -> None:
        """Remove ``digests`` from the list; ones not on it are ignored."""
        ...


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


class ContactMerges(Protocol):
    """Turning a known contact into an alias of another, which must never race a merge the other way."""

    def retire(self, alias: ContactRecord, old: ContactRecord, target: ContactRecord) -> None:
        """Write ``alias`` over ``old`` (the same key; as ``ContactStore.save``, setting ``alias.version``) only if
        the stored ``old`` and ``target`` are both still at their versions; Conflict otherwise, writing nothing."""
        ...


class SegmentStore(Protocol):
    """List and segment definitions, and the progress of their full computations."""

    def create_segment(self, definition: SegmentDef) -> None:
        """Store a new definition; Conflict when its id exists."""
        ...

    def segment(self, segment_id: str) -> SegmentDef | None: ...

    def segments(self) -> list[SegmentDef]:
        """Every definition (lists and segments), oldest first."""
        ...

    def replace_segment(self, definition: SegmentDef, expected_revision: int) -> None:
        """Store ``definition`` (its ``revision`` already raised) only if the stored one is at
        ``expected_revision``; Conflict otherwise, writing nothing. NotFound when it is gone."""
        ...

    def delete_segment(self, segment_id: str) -> None:
        """Remove the definition and its build records (memberships are dropped through ``Memberships``)."""
        ...

    def start_build(self, progress: BuildProgress) -> None:
        """Record a full computation's start (its parts not done); starting the same generation again keeps
        the stored progress."""
        ...

    def build(self, generation: Generation) -> BuildProgress | None: ...

    def record_part(self, generation: Generation, part: int, progress: BuildPart) -> BuildProgress:
        """Store one part's progress and return the whole computation as stored after it. A part that is
        done stays done (a redelivered message cannot move it back)."""
        ...


class RecommendationStore(Protocol):
    """Precomputed recommendation lists (``services/recommendations/build.py`` writes them, ``serve.py`` reads
    them), one per (model, key): ``("bestsellers", "*")``, ``("bestsellers", "cat:<category>")``,
    ``("viewedTogether", <product id>)``, ... A rebuild overwrites the lists it makes; one it no longer makes
    expires some days after its last write."""

    def put(self, model: str, key: str, items: Sequence[Scored], built_at: str) -> None:
        """Replace the list of (model, key) with ``items`` (kept in their order) and note ``built_at`` (ISO) as the
        model's latest build."""
        ...

    def put_many(self, lists: Mapping[tuple[str, str], Sequence[Scored]], built_at: str) -> int:
        """``put`` every list, in batched writes (unconditional: the last writer wins); returns the write units
        spent (at least one per list)."""
        ...

    def get(self, model: str, key: str) -> list[Scored] | None:
        """The stored list in its order (None: none stored for this key)."""
        ...

    def get_many(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Scored]]:
        """The stored lists among ``keys`` (model, key), in batched reads; keys with none are left out."""
        ...

    def built_at(self, model: str) -> str | None:
        """When the model's latest stored build was made (None: never)."""
        ...

    def put_counts(self, kept: KeptCounts) -> int:
        """Keep the counts a rebuild ended with for the next one, replacing those kept; returns the write units
        spent. A reader never sees them half-written."""
        ...

    def get_counts(self) -> KeptCounts | None:
        """The kept counts (None: none kept, or the kept ones cannot be read whole)."""
        ...


class Memberships(Protocol):
    """Who is in each generation of each list and segment, with the moment time alone may change it, and
    member counts kept exactly once per transition."""

    def states(self, generation: Generation, keys: Collection[str]) -> dict[str, MemberState]:
        """The stored states of these contacts (absent: not a member, nothing due)."""
        ...

    def write(
        self, generation: Generation, key: str, new: MemberState, expected: MemberState | None | Unread = UNREAD
    ) -> Written:
        """Store ``new`` unless the stored state was evaluated on a newer contact version (equal versions
        overwrite: a sweep re-evaluates the same version later). The generation's member count changes by
        one exactly when membership flips, in the same atomic write. ``expected``: the state the caller read
        (None: none), a hint that spares a read when it is still what is stored; a stale hint costs a retry,
        never a wrong write or count."""
        ...

    def remove(self, generation: Generation, key: str, version: int) -> Written:
        """Remove the state unless it was evaluated on a version newer than ``version`` (count as ``write``)."""
        ...

    def members(
        self, generation: Generation, limit: int, cursor: str | None = None
    ) -> tuple[list[tuple[str, MemberState]], str | None]:
        """Up to ``limit`` members (never stored non-members) and a cursor for the next page (None: no more);
        a page may hold fewer while more follow. A cursor not from this listing is InvalidInput."""
        ...

    def count(self, generation: Generation) -> int:
        """Members of the generation (kept by ``write``; never a scan)."""
        ...

    def for_contact(self, key: str) -> list[tuple[Generation, MemberState]]:
        """Every state stored for a contact, any list, segment or generation."""
        ...

    def due(self, generation: Generation, until: str, limit: int) -> list[tuple[str, MemberState]]:
        """Up to ``limit`` states whose ``next_at`` is at or before ``until`` (ISO text), earliest first."""
        ...

    def drop(self, generation: Generation) -> int:
        """Remove every state and the count of a generation (idempotent); returns how many states went."""
        ...


class InterestIndex(Protocol):
    """Who showed interest in a product lately (viewed, carted or wishlisted it), one small item per (product,
    contact) in the products table that expires ``INTEREST_DAYS`` after its latest interest; read to fan out a
    price drop or a back-in-stock without scanning the contacts (``services/interest.py``)."""

    def note(self, entries: Sequence[tuple[str, str, datetime]]) -> None:
        """Record each ``(product id, contact key, at)`` (aware UTC) in batched writes; the latest ``at`` of a
        pair wins within the batch, and a later batch overwrites an earlier one."""
        ...

    def forget(self, entries: Sequence[tuple[str, str]]) -> None:
        """Drop each ``(product id, contact key)`` (a purchase ends the interest); absent pairs are fine."""
        ...

    def interested(
        self, product_id: str, since: datetime, limit: int, cursor: str | None = None
    ) -> tuple[list[str], str | None]:
        """Up to ``limit`` contact keys interested in the product at or after ``since``, and a cursor for the next
        page (None: no more); a page may hold fewer while more follow. A cursor not from this listing is
        InvalidInput."""
        ...


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


@dataclass(frozen=True)
class QueueState:
    """A stream's queue at a glance: messages waiting, being processed, the age of the oldest (None: unknown, no
    recent CloudWatch datapoint or it could not be read), and messages parked on its dead-letter queue."""

    depth: int
    in_flight: int
    oldest_age_seconds: float | None
    dead_letters: int


class QueueStatus(Protocol):
    """How much waits on each stream's queue and its dead-letter queue (health checks, ``queues status``)."""

    def status(self, stream: Stream) -> QueueState:
        """The stream's counts (approximate, as SQS keeps them); Retryable when the queue cannot be read."""
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


class Webhooks(Protocol):
    """Calls a workflow's webhook blocks make."""

    def call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        """The answer's status and its JSON (None when it is not JSON). Permanent for a URL that is not https or
        resolves to a private, loopback or link-local address (unless the stage allows private webhooks);
        Retryable when it cannot be reached or answers 408, 429 or 5xx."""
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


class StateMachines(Protocol):
    """Step Functions: deploying a workflow's definition and running executions of it."""

    def deploy(self, name: str, definition: str, express: bool = False) -> tuple[str, str]:
        """Create or update the state machine ``name`` with ``definition`` and publish a version; returns
        (the state machine's ARN, what executions should start on: the ``live`` alias pointed at the new version on
        AWS, or the state machine's own ARN where the setting says aliases cannot start executions)."""
        ...

    def start(self, target: str, name: str, payload: dict[str, Any]) -> str | None:
        """Start execution ``name`` on ``target``; its ARN, or None when an execution of that name exists (a
        duplicate start). As Step Functions' start is idempotent, a running one of that name with the same
        ``payload`` gives its ARN again instead."""
        ...

    def stop(self, execution_arn: str, cause: str) -> None:
        """Stop a running execution (one that ended already is left alone)."""
        ...

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        """Complete a parked task with ``output``; False when the token is unknown, timed out or already used."""
        ...

    def fail_task(self, token: str, error: str, cause: str) -> bool:
        """Fail a parked task with the error name ``error`` (the state's Catch routes it); False as for ``resume``."""
        ...

    def status(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
        ...

    def transitions(self, execution_arn: str) -> int:
        """State transitions the execution made so far (entered states, as Step Functions bills them)."""
        ...


class WorkflowStore(Protocol):
    """Workflow records by id with an optimistic revision, and the definition of every published revision."""

    def create_workflow(self, record: WorkflowRecord) -> None:
        """Store a new workflow; Conflict when its id exists."""
        ...

    def workflow(self, workflow_id: str) -> WorkflowRecord | None: ...

    def workflows(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first (``created_at``, then id)."""
        ...

    def replace_workflow(self, record: WorkflowRecord, expected_revision: int) -> None:
        """Store ``record`` only if the stored one is at ``expected_revision``; Conflict otherwise (writing nothing),
        NotFound when there is no such workflow."""
        ...

    def save_revision(self, workflow_id: str, revision: int, definition: dict[str, Any]) -> None:
        """Keep the definition a published revision runs (saving the same revision again changes nothing)."""
        ...

    def revision(self, workflow_id: str, revision: int) -> dict[str, Any] | None:
        """The definition saved for that revision (None: never published)."""
        ...


class JourneyStore(Protocol):
    """Journeys (one record per workflow and contact), parked waits, per-block counters, execution history and
    one-from-many variant statistics."""

    def begin(self, journey: Journey, *, skip_if_inside: bool, once: bool, not_since: str | None) -> bool:
        """Record ``journey`` as the contact's journey through its workflow, unless: ``skip_if_inside`` and the stored
        one is running; ``once`` and one is stored; ``not_since`` (ISO) and the stored one started after it; or the
        stored one has the same execution name (a duplicate trigger). True when recorded (``entries`` becomes the
        stored count plus one). Written conditionally on the record read: two concurrent begins for one contact never
        both win."""
        ...

    def journey(self, workflow_id: str, contact_key: str) -> Journey | None: ...

    def journeys_of(self, contact_key: str) -> list[Journey]:
        """The contact's journeys in every workflow (running or not)."""
        ...

    def end(self, workflow_id: str, contact_key: str, execution: str, status: JourneyStatus, at: str) -> bool:
        """Mark the journey ended with ``status`` if it is still the running ``execution``; True when it was."""
        ...

    def set_execution_arn(self, workflow_id: str, contact_key: str, execution: str, arn: str) -> None: ...

    def reach_goal(self, workflow_id: str, contact_key: str, execution: str, at: str) -> bool:
        """Note the journey's goal reached at ``at`` unless it was already; True the first time."""
        ...

    def executions(self, workflow_id: str, limit: int, cursor: str | None = None) -> tuple[list[Journey], str | None]:
        """The workflow's journeys, newest start first, a page at a time (InvalidInput for a foreign cursor)."""
        ...

    def claim_occasion(self, workflow_id: str, occasion: str) -> bool:
        """Claim the workflow's run for ``occasion`` (a schedule's ``schedule:<date>``); True for the one caller that
        claimed it, across processes."""
        ...

    def park(self, park: Park) -> None:
        """Keep ``park`` until it expires (parking the same token again changes nothing)."""
        ...

    def parked(self, contact_key: str, event: str) -> list[Park]:
        """The contact's unexpired parks waiting for ``event``."""
        ...

    def unpark(self, park: Park) -> bool:
        """Remove ``park``; True for the one caller that removed it (so one event resumes a wait once)."""
        ...

    def record_step(self, workflow_id: str, step: StepRecord, counts: dict[str, dict[str, int]]) -> bool:
        """Keep ``step`` in its execution's history and add ``counts`` (block -> counter -> n) to the workflow's
        block counters, together, unless this (execution, seq) was recorded (a retried task run); True when
        recorded."""
        ...

    def add_counts(self, workflow_id: str, counts: dict[str, dict[str, int]]) -> None:
        """Add to the block counters (for events outside a task run: a wait resumed, a goal reached)."""
        ...

    def counts(self, workflow_id: str) -> BlockCounts: ...

    def history(self, execution: str) -> list[StepRecord]:
        """The execution's recorded steps in ``seq`` order."""
        ...

    def variant_sent(self, workflow_id: str, block: str, template_id: str, contact_key: str, at: str) -> None:
        """Count a send of the variant and remember it as the contact's latest of this block."""
        ...

    def variant_clicked(self, workflow_id: str, block: str, template_id: str) -> None: ...

    def variants(self, workflow_id: str, block: str) -> dict[str, tuple[int, int]]:
        """Each variant's (sends, clicks) at the block."""
        ...

    def recent_variants(self, workflow_id: str, block: str, contact_key: str) -> dict[str, str]:
        """The variants this contact got at the block, each with when it was last sent."""
        ...
