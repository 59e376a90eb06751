"""Segments table adapter: list and segment definitions, their full computations' progress, and member states.

One table, ``orbit-<stage>-segments`` (``pk``/``sk``, both strings), holds four kinds of item:

* definitions: ``("defs", "seg#<id>")``, one small partition, so ``segments()`` is one Query. Rules travel as
  JSON text (exactly as given, at any depth: a DynamoDB map nests 32 levels at most);
* build progress: ``("build#<id>", "<generation:08>#head")`` (started, finished, estimate) and
  ``("build#<id>", "<generation:08>#part#<n:04>")``, one item per parallel-scan part, so parts move without
  contending. Every build of a segment shares its partition: deleting a segment finds them all in one Query.
  A done part stays done (conditional put); the head is stamped ``finishedAt`` (once, by the store's clock)
  when the last part turns done;
* member states: ``("m#<id>#<generation>#<shard>", <contact key>)``, ``shard`` = CRC-32 of the key mod
  ``SHARDS``, so a generation's writes and listings spread over several partitions. Attributes: ``mem``,
  ``ver``, ``since``, ``nextAt`` (only when set), ``chg``, and ``ck``/``seg``/``gen`` for the ``by_contact``
  index (hash ``ck``, sparse: only states carry it). The ``due`` index (hash ``pk``, range ``nextAt``) is
  sparse too: it holds the states with a moment, so a sweep reads only what is due;
* member counts: ``("count#<id>#<generation>", "<n:02>")``, attribute ``n``, one per count shard
  (``COUNT_SHARDS``, CRC-32 mod 32: finer than the state shards, because each flip's transaction locks one
  and transactions on a hot item cancel each other).

A membership write reads the stored state (consistently), decides, then writes on the condition that the
stored state is still the one it read (``attribute_not_exists`` or the same ``ver`` and ``mem``): a plain
conditional PutItem/DeleteItem when membership does not flip; when it does, one TransactWriteItems that also
adds +1/-1 to the contact's count shard, so the count moves exactly once per transition. A lost race re-reads
and decides again; a stored state evaluated on a newer version wins (``Written(applied=False)``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import zlib
from collections.abc import Callable, Collection, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.clock import Clock, iso
from chalicelib.errors import Conflict, NotFound, Retryable, bad_cursor
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
from chalicelib.storage.dynamo import PAGE_CALLS, PAGE_READ, Table, backoff, translate
from chalicelib.storage.items import Item, item_size, serialize, write_units

SHARDS = 8  # member-state partitions of a generation
COUNT_SHARDS = 32  # count items of a generation (a multiple of SHARDS: count shard mod SHARDS = state shard)
WRITE_ATTEMPTS = 8  # reads-then-writes of one membership before a contended key gives up (Retryable)
DEFS = "defs"
BY_CONTACT = "by_contact"
DUE = "due"


def shard_of(key: str) -> int:
    """The state shard of a contact key (stable across processes and releases)."""
    return zlib.crc32(key.encode("utf-8")) % SHARDS


def count_shard_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % COUNT_SHARDS


def _shard_pk(generation: Generation, shard: int) -> str:
    return f"m#{generation.segment_id}#{generation.number}#{shard}"


def _count_pk(generation: Generation) -> str:
    return f"count#{generation.segment_id}#{generation.number}"


def _build_pk(segment_id: str) -> str:
    return f"build#{segment_id}"


def _build_prefix(number: int) -> str:
    return f"{number:08d}#"


def _head_sk(number: int) -> str:
    return f"{_build_prefix(number)}head"


def _part_sk(number: int, part: int) -> str:
    return f"{_build_prefix(number)}part#{part:04d}"


# --- items ---------------------------------------------------------------------------------------------------


def _json_text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _def_item(definition: SegmentDef) -> Item:
    return {
        "pk": DEFS,
        "sk": f"seg#{definition.id}",
        "id": definition.id,
        "kind": definition.kind,
        "name": definition.name,
        "tags": list(definition.tags),
        "description": definition.description,
        "rule": _json_text(definition.rule),
        "exclude": _json_text(definition.exclude),
        "active": definition.active,
        "gen": definition.generation,
        "building": definition.building,
        "rev": definition.revision,
        "createdAt": definition.created_at,
        "updatedAt": definition.updated_at,
    }


def _definition(item: Item) -> SegmentDef:
    return SegmentDef(
        id=item["id"],
        kind=item["kind"],
        name=item["name"],
        tags=tuple(item.get("tags") or ()),
        description=item.get("description"),
        rule=json.loads(item["rule"]) if item.get("rule") is not None else None,
        exclude=json.loads(item["exclude"]) if item.get("exclude") is not None else None,
        active=bool(item.get("active", True)),
        generation=int(item.get("gen", 0)),
        building=int(item["building"]) if item.get("building") is not None else None,
        revision=int(item.get("rev", 1)),
        created_at=item.get("createdAt", ""),
        updated_at=item.get("updatedAt", ""),
    )


def _part_item(segment_id: str, number: int, part: int, progress: BuildPart) -> Item:
    return {
        "pk": _build_pk(segment_id),
        "sk": _part_sk(number, part),
        "scanned": progress.scanned,
        "members": progress.members,
        "done": progress.done,
        "cursor": progress.cursor,
    }


def _head_item(progress: BuildProgress) -> Item:
    return {
        "pk": _build_pk(progress.segment_id),
        "sk": _head_sk(progress.generation),
        "startedAt": progress.started_at,
        "finishedAt": progress.finished_at,
        "total": progress.total_estimate,
    }


def _progress(generation: Generation, items: list[Item]) -> BuildProgress | None:
    head = next((i for i in items if i["sk"] == _head_sk(generation.number)), None)
    if head is None:
        return None
    part_prefix = f"{_build_prefix(generation.number)}part#"
    parts = {
        int(i["sk"][len(part_prefix) :]): BuildPart(
            scanned=int(i.get("scanned", 0)),
            members=int(i.get("members", 0)),
            done=bool(i.get("done", False)),
            cursor=i.get("cursor"),
        )
        for i in items
        if i["sk"].startswith(part_prefix)
    }
    return BuildProgress(
        segment_id=generation.segment_id,
        generation=generation.number,
        started_at=head.get("startedAt", ""),
        parts=dict(sorted(parts.items())),
        finished_at=head.get("finishedAt"),
        total_estimate=int(head["total"]) if head.get("total") is not None else None,
    )


def _state_item(generation: Generation, key: str, state: MemberState) -> Item:
    return {
        "pk": _shard_pk(generation, shard_of(key)),
        "sk": key,
        "mem": state.member,
        "ver": state.version,
        "since": state.since,
        "nextAt": state.next_at or None,  # an index key cannot be empty
        "chg": state.changed_at,
        "ck": key,
        "seg": generation.segment_id,
        "gen": generation.number,
    }


def _state(item: Item) -> MemberState:
    return MemberState(
        member=bool(item["mem"]),
        version=int(item["ver"]),
        since=item.get("since"),
        next_at=item.get("nextAt"),
        changed_at=item.get("chg", ""),
    )


# --- calls the Table wrapper does not make -----------------------------------------------------------------


def _query(
    table: Table,
    key_condition: str,
    values: dict[str, Any],
    *,
    index: str | None = None,
    filter_: str | None = None,
    consistent: bool = False,
    limit: int | None = None,
    start: Item | None = None,
) -> tuple[list[Item], Item | None]:
    """One Query call through the table's metered, translated page call (with what ``Table.query`` lacks:
    a filter and strongly consistent reads)."""
    kwargs: dict[str, Any] = {
        "TableName": table.name,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": serialize(values),
    }
    if index:
        kwargs["IndexName"] = index
    if filter_:
        kwargs["FilterExpression"] = filter_
    if consistent:
        kwargs["ConsistentRead"] = True
    if limit is not None:
        kwargs["Limit"] = limit
    if start:
        kwargs["ExclusiveStartKey"] = serialize(start)
    return table._page("dynamodb.Query", table.client.query, kwargs)


def _query_all(table: Table, key_condition: str, values: dict[str, Any], **kwargs: Any) -> Iterator[Item]:
    start: Item | None = None
    while True:
        items, start = _query(table, key_condition, values, start=start, **kwargs)
        yield from items
        if start is None:
            return


def _transact(table: Table, actions: list[dict[str, Any]], units: int) -> None:
    """One TransactWriteItems, metered as DynamoDB bills it (twice the items' units; a cancelled one costs
    the base units). A failed condition is Conflict; a cancellation by a concurrent transaction on the same
    item (or throttling) is Retryable."""
    try:
        table.client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
    except ClientError as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", []) or []]  # type: ignore[union-attr]
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            table.meter.request("dynamodb.TransactWriteItems", units)
            message = exc.response.get("Error", {}).get("Message", "")
            if "ConditionalCheckFailed" in reasons or "ConditionalCheckFailed" in message:
                raise Conflict("The item changed or already exists") from exc
            if any(
                r in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded") for r in reasons
            ) or ("TransactionConflict" in message):
                raise Retryable("DynamoDB cancelled a transaction: another one held its items") from exc
        raise translate(exc) from exc
    except BotoCoreError as exc:
        raise translate(exc) from exc
    table.meter.request("dynamodb.TransactWriteItems", units)


def _serialized(action: dict[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) if k in ("Item", "Key", "ExpressionAttributeValues") else v for k, v in action.items()}


# --- definitions and build progress --------------------------------------------------------------------------


class DynamoSegmentStore:
    """``SegmentStore`` on the segments table. ``clock`` stamps a build's ``finished_at`` when its last part
    turns done."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def create_segment(self, definition: SegmentDef) -> None:
        try:
            self.table.put(_def_item(definition), "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"Segment {definition.id!r} already exists") from exc

    def segment(self, segment_id: str) -> SegmentDef | None:
        item = self.table.get({"pk": DEFS, "sk": f"seg#{segment_id}"})
        return _definition(item) if item else None

    def segments(self) -> list[SegmentDef]:
        found = [_definition(i) for i in _query_all(self.table, "pk = :pk", {":pk": DEFS}, consistent=True)]
        return sorted(found, key=lambda d: (d.created_at, d.id))

    def replace_segment(self, definition: SegmentDef, expected_revision: int) -> None:
        try:
            self.table.replace(
                _def_item(definition), 0, "attribute_exists(sk) AND rev = :rev", {":rev": expected_revision}
            )
        except Conflict as exc:
            stored = self.segment(definition.id)
            if stored is None:
                raise NotFound(f"Segment {definition.id!r} does not exist") from exc
            raise Conflict(
                f"Segment {definition.id!r} changed: it is at revision {stored.revision}, not {expected_revision}"
            ) from exc

    def delete_segment(self, segment_id: str) -> None:
        self.table.delete({"pk": DEFS, "sk": f"seg#{segment_id}"})
        builds = [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in _query_all(self.table, "pk = :pk", {":pk": _build_pk(segment_id)}, consistent=True)
        ]
        self.table.batch_delete(builds)

    def start_build(self, progress: BuildProgress) -> None:
        parts = [_part_item(progress.segment_id, progress.generation, n, p) for n, p in progress.parts.items()]
        if len(parts) > 99:
            raise ValueError("a build has at most 99 parts (one transaction)")
        head: tuple[Item, str | None, dict[str, Any] | None] = (_head_item(progress), "attribute_not_exists(sk)", None)
        try:
            self.table.transact_put([head, *((p, None, None) for p in parts)])
        except Conflict:
            return  # started before: the stored progress stands

    def build(self, generation: Generation) -> BuildProgress | None:
        items = list(
            _query_all(
                self.table,
                "pk = :pk AND begins_with(sk, :gen)",
                {":pk": _build_pk(generation.segment_id), ":gen": _build_prefix(generation.number)},
                consistent=True,  # the worker recording the last part must see every other part done
            )
        )
        return _progress(generation, items)

    def record_part(self, generation: Generation, part: int, progress: BuildPart) -> BuildProgress:
        item = _part_item(generation.segment_id, generation.number, part, progress)
        with contextlib.suppress(Conflict):  # Conflict: the part is done, and a redelivery cannot undo that
            self.table.replace(item, 0, "attribute_not_exists(sk) OR done = :no", {":no": False})
        stored = self.build(generation)
        if stored is None:  # never started, or deleted meanwhile: leave nothing behind
            self.table.delete({"pk": item["pk"], "sk": item["sk"]})
            raise NotFound(f"Segment {generation.segment_id!r} has no computation {generation.number}")
        if stored.done and stored.finished_at is None:
            stored.finished_at = iso(self.clock.now())
            try:
                self.table.put(_head_item(stored), "attribute_exists(sk) AND attribute_not_exists(finishedAt)")
            except Conflict:  # another part's worker stamped it first, or the build went
                return self.build(generation) or stored
        return stored


# --- member states and counts ------------------------------------------------------------------------------


def _encode_cursor(generation: Generation, shard: int, after: str | None) -> str:
    raw = json.dumps({"g": generation.ref, "s": shard, "k": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(generation: Generation, cursor: str) -> tuple[int, str | None]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise bad_cursor() from exc
    if not isinstance(data, dict) or set(data) != {"g", "s", "k"} or data["g"] != generation.ref:
        raise bad_cursor()
    shard, after = data["s"], data["k"]
    if isinstance(shard, bool) or not isinstance(shard, int) or not 0 <= shard < SHARDS:
        raise bad_cursor()
    if after is not None and (not isinstance(after, str) or not after or shard_of(after) != shard):
        raise bad_cursor()
    return shard, after


class DynamoMemberships:
    """``Memberships`` on the segments table (sharded state partitions, sharded count items)."""

    def __init__(self, table: Table, sleep: Callable[[float], None] | None = None) -> None:
        self.table = table
        self.sleep = sleep or table.sleep

    def states(self, generation: Generation, keys: Collection[str]) -> dict[str, MemberState]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        items = self.table.batch_get([{"pk": _shard_pk(generation, shard_of(k)), "sk": k} for k in wanted])
        return {i["sk"]: _state(i) for i in items}

    def write(
        self, generation: Generation, key: str, new: MemberState, expected: MemberState | None | Unread = UNREAD
    ) -> Written:
        return self._change(generation, key, new.version, new, expected)

    def remove(self, generation: Generation, key: str, version: int) -> Written:
        return self._change(generation, key, version, None)

    def _change(
        self,
        generation: Generation,
        key: str,
        version: int,
        new: MemberState | None,
        expected: MemberState | None | Unread = UNREAD,
    ) -> Written:
        """Read, decide, write on the condition that nothing changed since the read; again on a lost race. With
        ``expected`` the first attempt trusts it instead of reading (its condition still checks it)."""
        primary = {"pk": _shard_pk(generation, shard_of(key)), "sk": key}
        for attempt in range(WRITE_ATTEMPTS):
            if attempt > 1:
                self.sleep(backoff(attempt))
            if attempt == 0 and not isinstance(expected, Unread):
                stored = _state_item(generation, key, expected) if expected is not None else None
                previous = expected
            else:
                stored = self.table.get(primary)
                previous = _state(stored) if stored else None
            if previous is not None and previous.version > version:
                return Written(applied=False, previous=previous)
            if previous is None and new is None:
                return Written(applied=True, previous=None)  # nothing stored, nothing to remove
            try:
                self._apply(generation, key, stored, previous, new)
            except (Conflict, Retryable):
                continue
            return Written(applied=True, previous=previous)
        raise Retryable(f"the membership of {key!r} in {generation.ref} kept changing; try again")

    def _apply(
        self,
        generation: Generation,
        key: str,
        stored: Item | None,
        previous: MemberState | None,
        new: MemberState | None,
    ) -> None:
        primary = {"pk": _shard_pk(generation, shard_of(key)), "sk": key}
        if previous is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition, values = "ver = :pv AND mem = :pm", {":pv": previous.version, ":pm": previous.member}
        item = _state_item(generation, key, new) if new is not None else None
        old_size = item_size(serialize(stored)) if stored else 0
        units = write_units(max(old_size, item_size(serialize(item)) if item else 0))
        index_units = units * (1 + self._due_copies(previous, new))
        delta = int(bool(new and new.member)) - int(bool(previous and previous.member))
        if delta == 0:
            if item is not None and values:
                self.table.replace(item, old_size, condition, values)
            elif item is not None:
                self.table.put(item, condition)
            else:
                self.table.delete(primary, old_size, condition, values)
        else:  # a flip: the state and its count shard move together
            op, body = (
                ("Put", {"TableName": self.table.name, "Item": item})
                if item is not None
                else ("Delete", {"TableName": self.table.name, "Key": primary})
            )
            body["ConditionExpression"] = condition
            if values:
                body["ExpressionAttributeValues"] = values
            count = {
                "TableName": self.table.name,
                "Key": {"pk": _count_pk(generation), "sk": f"{count_shard_of(key):02d}"},
                "UpdateExpression": "ADD n :delta",
                "ExpressionAttributeValues": {":delta": delta},
            }
            actions = [{op: _serialized(body)}, {"Update": _serialized(count)}]
            _transact(self.table, actions, 2 * (units + 1))
        self.table.meter.request("dynamodb.IndexWrite", index_units)

    @staticmethod
    def _due_copies(previous: MemberState | None, new: MemberState | None) -> int:
        """Writes to the sparse ``due`` index: none without a moment, two when the moment (its key) moves."""
        before, after = previous.next_at if previous else None, new.next_at if new else None
        if before and after and before != after:
            return 2
        return 1 if before or after else 0

    def members(
        self, generation: Generation, limit: int, cursor: str | None = None
    ) -> tuple[list[tuple[str, MemberState]], str | None]:
        shard, after = _decode_cursor(generation, cursor) if cursor is not None else (0, None)
        if limit < 1:
            return [], None
        found: list[tuple[str, MemberState]] = []
        for _ in range(PAGE_CALLS):
            pk = _shard_pk(generation, shard)
            items, last = _query(
                self.table,
                "pk = :pk",
                {":pk": pk, ":yes": True},
                filter_="mem = :yes",
                limit=max(limit - len(found), PAGE_READ),
                start={"pk": pk, "sk": after} if after else None,
            )
            for index, item in enumerate(items):
                found.append((item["sk"], _state(item)))
                if len(found) == limit:
                    if index < len(items) - 1 or last is not None:
                        return found, _encode_cursor(generation, shard, item["sk"])
                    return found, _encode_cursor(generation, shard + 1, None) if shard + 1 < SHARDS else None
            if last is not None:
                after = last["sk"]
                continue
            shard, after = shard + 1, None
            if shard == SHARDS:
                return found, None
        return found, _encode_cursor(generation, shard, after)

    def count(self, generation: Generation) -> int:
        items = _query_all(self.table, "pk = :pk", {":pk": _count_pk(generation)}, consistent=True)
        return sum(int(i.get("n", 0)) for i in items)

    def for_contact(self, key: str) -> list[tuple[Generation, MemberState]]:
        items = _query_all(self.table, "ck = :ck", {":ck": key}, index=BY_CONTACT)
        found = [(Generation(i["seg"], int(i["gen"])), _state(i)) for i in items]
        return sorted(found, key=lambda pair: (pair[0].segment_id, pair[0].number))

    def due(self, generation: Generation, until: str, limit: int) -> list[tuple[str, MemberState]]:
        if limit < 1:
            return []
        found: list[Item] = []
        for shard in range(SHARDS):
            values = {":pk": _shard_pk(generation, shard), ":until": until}
            start: Item | None = None
            taken = 0
            while taken < limit:
                items, start = _query(
                    self.table, "pk = :pk AND nextAt <= :until", values, index=DUE, limit=limit - taken, start=start
                )
                found += items
                taken += len(items)
                if start is None:
                    break
        found.sort(key=lambda i: (i["nextAt"], i["sk"]))
        return [(i["sk"], _state(i)) for i in found[:limit]]

    def drop(self, generation: Generation) -> int:
        removed = 0
        for shard in range(SHARDS):
            pk = _shard_pk(generation, shard)
            while True:  # page by page: a page's items are gone before the next Query
                items, more = _query(self.table, "pk = :pk", {":pk": pk}, consistent=True)
                if not items:
                    break
                self.table.batch_delete([{"pk": i["pk"], "sk": i["sk"]} for i in items])
                self.table.meter.request("dynamodb.IndexWrite", len(items) + sum(1 for i in items if i.get("nextAt")))
                removed += len(items)
                if more is None:
                    break
        counts = [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in _query_all(self.table, "pk = :pk", {":pk": _count_pk(generation)}, consistent=True)
        ]
        self.table.batch_delete(counts)
        return removed
