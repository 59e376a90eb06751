"""Lists (static segments): who is in them, changed by External ID in bulk, by the API and by workflows.

Every change of a list's members goes through :func:`add_members` / :func:`remove_members` (the synchronous
API, the asynchronous chunks on the imports stream and, later, workflows), so the rules live in one place:

* A list holds known contacts only. A row is an error (reported with its index, the request goes on) when its
  External ID is malformed, when no contact has it, or when the contact was merged into another (the error
  names the contact that stays, as ``GET /v1/contacts/{externalId}`` does; the caller decides whether that one
  belongs in the list). Removing an ID whose contact is gone still removes a membership left behind.
* A member's state is written on generation 0 of the list with ``version`` = the request's time in
  milliseconds (``Memberships.write``/``remove``), so an older removal reaching a contact after a newer add
  loses. A removal leaves no state behind, so an older add arriving after a newer removal still adds. Adding a
  member again keeps its ``since`` and moves its version on.
* The same External ID twice in one request counts once (its first position is the one errors name).
* Afterwards every segment whose rule names the list re-evaluates the contacts the request named (all of them,
  not only those that flipped, so retrying a request whose re-evaluation failed half-way repairs it; for a list
  no rule names it costs nothing).

Requests of more than :data:`SYNC_LIMIT` distinct IDs become a job: chunks of up to :data:`CHUNK_IDS` as
``ListMembersMsg`` on the imports stream, each chunk's outcome recorded once in the import job store (source
``list``), so a redelivered chunk never counts twice, and a status to poll like a contact import's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.patch import check_external_id
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound, PayloadTooLarge
from chalicelib.messages import ListMembersMsg
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation, MemberState, SegmentDef
from chalicelib.services.segments import definitions

Action = Literal["add", "remove"]
MAX_IDS = 10_000  # External IDs per request
SYNC_LIMIT = 500  # distinct IDs applied while the request waits; more become a job
CHUNK_IDS = 500  # IDs per queued chunk
CHUNK_BYTES = 200_000  # JSON bytes of a chunk's IDs: the message stays under SQS's 256 KiB, its errors an item
SOURCE = "list"  # the import job store's ``source`` of list jobs
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


# --- what the API reads and answers -------------------------------------------------------------------------


class MembersRequest(BaseModel):
    """Body of ``POST /v1/lists/{id}/members`` and ``/members/remove``."""

    model_config = ConfigDict(extra="forbid")

    externalIds: list[str] = Field(
        min_length=1,
        max_length=MAX_IDS,
        description=(
            f"External IDs of known contacts, at most {MAX_IDS:,} (more: 413); the same ID twice counts once. "
            f"Up to {SYNC_LIMIT} distinct IDs are applied at once (200), more become a job (202)"
        ),
    )


class MemberRowError(BaseModel):
    index: int = Field(description="Position of the External ID in the request's `externalIds`")
    externalId: str
    message: str


class MembersResult(BaseModel):
    """What a members request did (``added`` for adds, ``removed`` for removals)."""

    added: int | None = Field(default=None, description="Contacts that joined the list (adds only)")
    removed: int | None = Field(default=None, description="Contacts that left the list (removals only)")
    unchanged: int = Field(description="Already members (adds) or not members (removals)")
    failed: int = Field(description="Rows with an error (see `errors`)")
    errors: list[MemberRowError]


class MembersJob(BaseModel):
    """``202``: the request became a job; poll ``statusUrl``."""

    jobId: str
    listId: str
    action: Action
    total: int = Field(description="Distinct External IDs in the request")
    statusUrl: str


class MembersJobStatus(BaseModel):
    jobId: str
    listId: str
    action: Action
    status: Literal["PROCESSING", "FINISHED"]
    total: int = Field(description="Distinct External IDs in the request")
    processed: int
    added: int | None = Field(default=None, description="Contacts that joined the list (adds only)")
    removed: int | None = Field(default=None, description="Contacts that left the list (removals only)")
    unchanged: int
    failed: int
    createdAt: str
    errors: list[MemberRowError]


class ListView(BaseModel):
    id: str
    name: str
    tags: list[str]
    description: str | None
    memberCount: int
    createdAt: str
    updatedAt: str


def view(ports: Ports, definition: SegmentDef) -> ListView:
    return ListView(
        id=definition.id,
        name=definition.name,
        tags=list(definition.tags),
        description=definition.description,
        memberCount=ports.memberships.count(definition.serving),
        createdAt=definition.created_at,
        updatedAt=definition.updated_at,
    )


def views(ports: Ports, tag: str | None = None) -> list[ListView]:
    """Every list (with ``tag``: those carrying it), oldest first, each with its member count."""
    return [view(ports, d) for d in definitions.listing(ports, "list", tag)]


# --- the one code path ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one application of a members change did."""

    action: Action
    changed: int = 0
    unchanged: int = 0
    errors: list[MemberRowError] = field(default_factory=list)

    def result(self) -> MembersResult:
        return MembersResult(
            added=self.changed if self.action == "add" else None,
            removed=self.changed if self.action == "remove" else None,
            unchanged=self.unchanged,
            failed=len(self.errors),
            errors=sorted(self.errors, key=lambda e: e.index),
        )


def add_members(ports: Ports, list_id: str, external_ids: Sequence[str], at: datetime) -> Outcome:
    """Put these contacts in the list as of ``at`` (a member already in keeps its ``since``)."""
    return _apply(ports, list_id, "add", distinct(external_ids), at)


def remove_members(ports: Ports, list_id: str, external_ids: Sequence[str], at: datetime) -> Outcome:
    """Take these contacts out of the list as of ``at``."""
    return _apply(ports, list_id, "remove", distinct(external_ids), at)


def distinct(external_ids: Sequence[str]) -> list[tuple[int, str]]:
    """``(index, id)`` of each ID's first occurrence, in request order."""
    seen: set[str] = set()
    rows = []
    for index, external_id in enumerate(external_ids):
        if external_id not in seen:
            seen.add(external_id)
            rows.append((index, external_id))
    return rows


def version_of(at: datetime) -> int:
    """A list state's version: the request's time in milliseconds since the epoch."""
    return (at.astimezone(UTC) - _EPOCH) // _MS


def _apply(ports: Ports, list_id: str, action: Action, rows: list[tuple[int, str]], at: datetime) -> Outcome:
    generation = definitions.get(ports, list_id, "list").serving
    outcome = Outcome(action)
    valid: list[tuple[int, str, str]] = []
    for index, external_id in rows:
        problem = _malformed(external_id)
        if problem:
            outcome.errors.append(MemberRowError(index=index, externalId=external_id, message=problem))
        else:
            valid.append((index, external_id, keys.known(external_id)))
    if not valid:
        return outcome
    wanted = [key for _i, _e, key in valid]
    records = ports.contacts.load_many(wanted)
    states = ports.memberships.states(generation, wanted)
    touched: list[str] = []
    for index, external_id, key in valid:
        problem = _not_a_contact(external_id, records.get(key))
        if problem and (action == "add" or key not in states):  # a removal still clears what a contact left behind
            outcome.errors.append(MemberRowError(index=index, externalId=external_id, message=problem))
        else:
            touched.append(key)
    version, stamp = version_of(at), iso(at)
    # one after another, as the consumer announces changes: moto (tests, make run) cannot run a transaction
    # (a membership flip writes its count in one) while another thread writes the same table
    flips = [
        _add(ports, generation, key, states.get(key), version, stamp)
        if action == "add"
        else _remove(ports, generation, key, states.get(key), version)
        for key in touched
    ]
    outcome.changed = sum(flips)
    outcome.unchanged = len(flips) - outcome.changed
    if touched:
        from chalicelib.services.segments import realtime  # when first needed: the rule engine is not light

        realtime.lists_changed(ports, list_id, touched)
    return outcome


def _add(ports: Ports, generation: Generation, key: str, state: MemberState | None, version: int, stamp: str) -> bool:
    """Write the member state; whether this request made the contact a member."""
    if state is not None and state.member:
        # this very request entered it on an earlier attempt (a redelivered chunk): it still counts as added
        entered_by_us = state.version == version and state.since == stamp and state.changed_at == stamp
        ports.memberships.write(
            generation, key, MemberState(True, version, since=state.since, changed_at=state.changed_at)
        )
        return entered_by_us
    written = ports.memberships.write(generation, key, MemberState(True, version, since=stamp, changed_at=stamp))
    return written.applied and not (written.previous is not None and written.previous.member)


def _remove(ports: Ports, generation: Generation, key: str, state: MemberState | None, version: int) -> bool:
    if state is None:
        return False
    written = ports.memberships.remove(generation, key, version)
    return written.applied and written.previous is not None and written.previous.member


def _malformed(external_id: str) -> str | None:
    try:
        check_external_id(external_id)
    except InvalidInput as exc:
        return "; ".join(f"{exc.message}: {d.message}" for d in exc.details) or exc.message
    return None


def _not_a_contact(external_id: str, record: ContactRecord | None) -> str | None:
    if record is not None and record.kind == KIND_ALIAS and record.merged_into and keys.is_known(record.merged_into):
        target = keys.external_id(record.merged_into)
        return f"The contact {external_id!r} was merged into the contact with External ID {target!r}"
    if record is None or record.kind != KIND_CONTACT:
        return f"No contact with External ID {external_id!r} (lists hold known contacts only)"
    return None


# --- requests: at once, or as a job ------------------------------------------------------------------------------


def check_size(count: int) -> None:
    """A 413 naming the limit when a request carries more than :data:`MAX_IDS` External IDs."""
    if count > MAX_IDS:
        raise PayloadTooLarge(
            f"At most {MAX_IDS:,} External IDs per request",
            [ErrorDetail("externalIds", f"holds {count:,}; send at most {MAX_IDS:,} per request")],
        )


def request(ports: Ports, list_id: str, action: Action, external_ids: Sequence[str]) -> MembersResult | MembersJob:
    """A members request: applied now when it holds at most :data:`SYNC_LIMIT` distinct IDs, else a job."""
    check_size(len(external_ids))
    definitions.get(ports, list_id, "list")
    rows = distinct(external_ids)
    now = ports.clock.now()
    if len(rows) <= SYNC_LIMIT:
        return _apply(ports, list_id, action, rows, now).result()
    return _start_job(ports, list_id, action, external_ids, rows, now)


def _start_job(
    ports: Ports, list_id: str, action: Action, external_ids: Sequence[str], rows: list[tuple[int, str]], at: datetime
) -> MembersJob:
    job_id = uuid.uuid4().hex
    chunks = _chunks([external_id for _i, external_id in rows])
    kept = {index for index, _e in rows}
    ports.imports.create_import(
        job_id,
        {
            "source": SOURCE,
            "listId": list_id,
            "action": action,
            "total": len(rows),
            "chunks": len(chunks),
            "createdAt": iso(at),
            # where each chunk starts among the distinct IDs, and the request positions of the repeats left out:
            # together they turn a chunk's position back into the request's index
            "starts": [start for start, _ids in chunks],
            "duplicates": [i for i in range(len(external_ids)) if i not in kept],
        },
    )
    ports.publisher.publish(
        [
            ListMembersMsg(listId=list_id, jobId=job_id, chunk=n, action=action, externalIds=ids, requestedAt=iso(at))
            for n, (_start, ids) in enumerate(chunks)
        ]
    )
    return MembersJob(
        jobId=job_id, listId=list_id, action=action, total=len(rows), statusUrl=f"/v1/lists/{list_id}/jobs/{job_id}"
    )


def _chunks(external_ids: list[str]) -> list[tuple[int, list[str]]]:
    """``(start, ids)``: at most :data:`CHUNK_IDS` IDs and :data:`CHUNK_BYTES` of their JSON each."""
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    size = 0
    for position, external_id in enumerate(external_ids):
        cost = len(json.dumps(external_id)) + 1
        if current and (len(current) >= CHUNK_IDS or size + cost > CHUNK_BYTES):
            chunks.append((position - len(current), current))
            current, size = [], 0
        current.append(external_id)
        size += cost
    if current:
        chunks.append((len(external_ids) - len(current), current))
    return chunks


def _request_index(position: int, duplicates: Iterable[int]) -> int:
    """The request index of the ``position``-th distinct ID, given the (sorted) indexes of repeats left out."""
    index = position
    for skipped in duplicates:
        if skipped > index:
            break
        index += 1
    return index


def apply_members_chunk(ports: Ports, message: ListMembersMsg) -> None:
    """Apply one chunk of a members job (the imports stream's handler); its outcome is recorded once."""
    job, done = ports.imports.import_job(message.jobId)
    if job is None or any(int(c["chunk"]) == message.chunk for c in done):
        return
    start = int(job["starts"][message.chunk])
    duplicates = sorted(int(i) for i in job.get("duplicates", []))
    rows = [(_request_index(start + n, duplicates), e) for n, e in enumerate(message.externalIds)]
    at = datetime.fromisoformat(message.requestedAt)
    try:
        outcome = _apply(ports, message.listId, message.action, rows, at)
    except NotFound as exc:  # the list was deleted while the job ran: every row fails, saying so
        failed = [MemberRowError(index=i, externalId=e, message=exc.message) for i, e in rows]
        outcome = Outcome(message.action, errors=failed)
    ports.imports.finish_chunk(
        message.jobId,
        message.chunk,
        {
            "ok": outcome.changed + outcome.unchanged,
            "changed": outcome.changed,
            "unchanged": outcome.unchanged,
            # the shape contact imports record, so the store's readers see one kind of row error
            "errors": [
                {"index": e.index, "externalId": e.externalId, "errors": [{"path": "externalId", "message": e.message}]}
                for e in outcome.errors
            ],
        },
    )


def job_status(ports: Ports, list_id: str, job_id: str) -> MembersJobStatus:
    job, done = ports.imports.import_job(job_id)
    if job is None or job.get("source") != SOURCE or job.get("listId") != list_id:
        raise NotFound(f"No job {job_id!r} of the list {list_id!r}")
    action: Action = "remove" if job.get("action") == "remove" else "add"
    changed = sum(int(c.get("changed", 0)) for c in done)
    unchanged = sum(int(c.get("unchanged", 0)) for c in done)
    errors = [_row_error(e) for c in done for e in c.get("errors", [])]
    return MembersJobStatus(
        jobId=job_id,
        listId=list_id,
        action=action,
        status="FINISHED" if len(done) >= int(job["chunks"]) else "PROCESSING",
        total=int(job["total"]),
        processed=changed + unchanged + len(errors),
        added=changed if action == "add" else None,
        removed=changed if action == "remove" else None,
        unchanged=unchanged,
        failed=len(errors),
        createdAt=str(job["createdAt"]),
        errors=sorted(errors, key=lambda e: e.index),
    )


def _row_error(stored: dict[str, Any]) -> MemberRowError:
    messages = [str(p.get("message", "")) for p in stored.get("errors", [])]
    return MemberRowError(
        index=int(stored["index"]), externalId=str(stored.get("externalId") or ""), message="; ".join(messages)
    )
