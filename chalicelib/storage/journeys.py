"""Journeys and their bookkeeping on the journeys table (``orbit-<stage>-journeys``, ``pk``/``sk`` strings, TTL on
``x``). ``<ck>`` below is the contact key with its length in front (``12:ab#c...``), so a key holding ``#`` never
reads as another one.

* ``C#<contact key>`` / ``W#<workflow>``: the contact's latest journey through the workflow (what re-entry rules
  read), with ``n`` the journeys started so far; ``journeys_of`` is one Query. Kept for good (``once`` needs it).
* ``X#<workflow>`` / ``<startedAt>#<execution>``: a copy of every journey for the executions listing (newest
  first), written in the same transaction as the record and updated with it; kept the events' retention.
* ``P#<ck>#<event>`` / ``<park id>``: a wait parked on the contact's event, expiring (TTL) when the wait does.
* ``H#<execution>`` / ``<seq:06d>``: what one task run did (the execution's history), the events' retention.
* ``O#<workflow>`` / ``<occasion>``: a scheduled run claimed (``claim_occasion``), the events' retention.
* ``S#<workflow>`` / ``<block>``: the block's counters, one attribute ``c:<counter>`` each (ADD).
* ``V#<workflow>#<block>`` / ``<template>``: a one-from-many variant's sends ``s`` and clicks ``c``; and
  ``R#<workflow>#<block>#<ck>`` / ``<template>``: when the contact last got it, the events' retention.

Every journey write is conditional: ``begin`` reads the record, decides by the re-entry rules and writes only if
the record is still the one it read (``n`` unchanged) and still passes them, so two concurrent begins never both
win; updates of a journey hold only while it is the same execution.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.clock import Clock
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, Retryable, bad_cursor
from chalicelib.storage.dynamo import Table, backoff, translate
from chalicelib.storage.items import Item, item_size, serialize, write_units
from chalicelib.workflows.journeys import RUNNING, BlockCounts, Journey, JourneyStatus, Park, StepRecord

ATTEMPTS = 8  # of a begin while concurrent writers keep changing the record; of a transaction meeting others
MAX_ACTIONS = 100  # TransactWriteItems' limit
_CURSOR = "xj1."
# attribute of each Journey field (short, and never a DynamoDB reserved word in an expression: always via #names)
_FIELDS = {
    "workflow_id": "wf",
    "contact_key": "ck",
    "execution": "ex",
    "revision": "rev",
    "status": "st",
    "started_at": "sa",
    "entries": "n",
    "ended_at": "ea",
    "execution_arn": "arn",
    "goal_at": "ga",
}


def _ck(contact_key: str) -> str:
    return f"{len(contact_key)}:{contact_key}"


def _record_key(workflow_id: str, contact_key: str) -> Item:
    return {"pk": f"C#{contact_key}", "sk": f"W#{workflow_id}"}


def _listing_key(workflow_id: str, started_at: str, execution: str) -> Item:
    return {"pk": f"X#{workflow_id}", "sk": f"{started_at}#{execution}"}


def _park_key(park: Park) -> Item:
    return {"pk": f"P#{_ck(park.contact_key)}#{park.event}", "sk": park.park_id}


def _occasion_key(workflow_id: str, occasion: str) -> Item:
    return {"pk": f"O#{workflow_id}", "sk": occasion}


def _counter_key(workflow_id: str, block: str) -> Item:
    return {"pk": f"S#{workflow_id}", "sk": block}


def _journey(item: Item) -> Journey:
    values = {name: item[attr] for name, attr in _FIELDS.items() if item.get(attr) is not None}
    return Journey(**{**values, "revision": int(values["revision"]), "entries": int(values["entries"])})


def _park(item: Item) -> Park:
    data = json.loads(item["body"])
    return Park(**{**data, "where": tuple(data["where"])})


def _epoch(at: str) -> int:
    return math.ceil(datetime.fromisoformat(at).timestamp())


def _encode_cursor(workflow_id: str, sort_key: str) -> str:
    return encode_cursor(_CURSOR, {"wf": workflow_id, "sk": sort_key})


def _decode_cursor(workflow_id: str, cursor: str) -> str:
    """The listing sort key a page continues after; InvalidInput for a cursor of another listing."""
    data = decode_cursor(_CURSOR, cursor)
    if data.get("wf") != workflow_id or not isinstance(data.get("sk"), str):
        raise bad_cursor()
    return str(data["sk"])


def refused(stored: Journey, journey: Journey, skip_if_inside: bool, once: bool, not_since: str | None) -> bool:
    """Whether the re-entry rules keep ``journey`` from replacing ``stored`` (the fake applies the same rules)."""
    return (
        stored.execution == journey.execution
        or once
        or (skip_if_inside and stored.status == RUNNING)
        or (not_since is not None and stored.started_at > not_since)
    )


class DynamoJourneyStore:
    """``JourneyStore`` on the journeys table."""

    def __init__(self, table: Table, clock: Clock, retention_days: int) -> None:
        self.table = table
        self.clock = clock
        self.retention = timedelta(days=retention_days)

    def _expires(self) -> int:
        return int((self.clock.now() + self.retention).timestamp())

    def _transact(self, actions: list[dict[str, Any]], units: int) -> None:
        """One TransactWriteItems: Conflict when a condition failed. One that met another transaction on the same
        items (hot counters do) is tried again with backoff; Retryable after ``ATTEMPTS``."""
        request: dict[str, Any] = {"TransactItems": actions}
        for attempt in range(ATTEMPTS):
            if attempt:
                self.table.sleep(backoff(attempt))
            try:
                self.table.client.transact_write_items(**request)
            except ClientError as exc:
                reasons = {r.get("Code") for r in exc.response.get("CancellationReasons", [])}  # type: ignore[typeddict-item]
                if "ConditionalCheckFailed" in reasons:
                    self.table.meter.request("dynamodb.TransactWriteItems", len(actions))
                    raise Conflict("The item changed or already exists") from exc
                error = translate(exc)
                if "TransactionConflict" in reasons or isinstance(error, Retryable):
                    continue
                raise error from exc
            except BotoCoreError as exc:
                raise translate(exc) from exc
            self.table.meter.request("dynamodb.TransactWriteItems", units)
            return
        raise Retryable(f"DynamoDB kept cancelling a transaction on {self.table.name} ({ATTEMPTS} tries)")

    def _update(self, key: Item, update: str, values: dict[str, Any], names: dict[str, str], condition: str) -> None:
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": serialize(key),
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        self.table._write("dynamodb.UpdateItem", self.table.client.update_item, kwargs, 1)

    # journeys

    def begin(self, journey: Journey, *, skip_if_inside: bool, once: bool, not_since: str | None) -> bool:
        key = _record_key(journey.workflow_id, journey.contact_key)
        for _ in range(ATTEMPTS):
            item = self.table.get(key)
            stored = _journey(item) if item else None
            if stored is not None and refused(stored, journey, skip_if_inside, once, not_since):
                return False
            entries = stored.entries + 1 if stored else 1
            fields = {a: v for name, a in _FIELDS.items() if (v := getattr(journey, name)) is not None}
            record = {**key, **fields, "n": entries}
            listed = {**record, **_listing_key(journey.workflow_id, journey.started_at, journey.execution)}
            listed["x"] = self._expires()
            put: dict[str, Any] = {"TableName": self.table.name, "Item": serialize(record)}
            if stored is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:  # still the record read, and (again) passing the rules
                rules = ["#n = :n", "#ex <> :ex"]
                names = {"#n": "n", "#ex": "ex"}
                values: dict[str, Any] = {":n": stored.entries, ":ex": journey.execution}
                if skip_if_inside:
                    rules.append("#st <> :running")
                    names["#st"], values[":running"] = "st", RUNNING
                if not_since is not None:
                    rules.append("#sa <= :since")
                    names["#sa"], values[":since"] = "sa", not_since
                put["ConditionExpression"] = " AND ".join(rules)
                put["ExpressionAttributeNames"] = names
                put["ExpressionAttributeValues"] = serialize(values)
            units = 2 * (write_units(item_size(serialize(record))) + write_units(item_size(serialize(listed))))
            actions = [{"Put": put}, {"Put": {"TableName": self.table.name, "Item": serialize(listed)}}]
            try:
                self._transact(actions, units)
            except Conflict:  # another writer got there between the read and the write: read again
                continue
            return True
        raise Retryable(f"The journey of {journey.contact_key!r} in {journey.workflow_id!r} keeps changing")

    def journey(self, workflow_id: str, contact_key: str) -> Journey | None:
        item = self.table.get(_record_key(workflow_id, contact_key))
        return _journey(item) if item else None

    def journeys_of(self, contact_key: str) -> list[Journey]:
        found = self.table.query_all("pk = :pk AND begins_with(sk, :w)", {":pk": f"C#{contact_key}", ":w": "W#"})
        return [_journey(i) for i in found]

    def _change(
        self,
        workflow_id: str,
        contact_key: str,
        execution: str,
        sets: dict[str, Any],
        condition: str = "",
        condition_values: dict[str, Any] | None = None,
    ) -> bool:
        """Set ``sets`` (journey attribute -> value) on the journey and its listing copy, together, while it is
        ``execution`` and ``condition`` holds on the record (its names: ``#<attribute>``); False otherwise."""
        key = _record_key(workflow_id, contact_key)
        item = self.table.get(key)
        if item is None or item.get("ex") != execution:
            return False
        names = {f"#{a}": a for a in sets}
        values = {f":{a}": v for a, v in sets.items()}
        update = "SET " + ", ".join(f"#{a} = :{a}" for a in sets)
        when = "#ex = :ex" + (f" AND {condition}" if condition else "")
        when_names = {f"#{a}": a for a in _FIELDS.values() if re.search(rf"#{a}\b", when)}
        listing = _listing_key(workflow_id, str(item["sa"]), execution)
        actions = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize(key),
                    "UpdateExpression": update,
                    "ConditionExpression": when,
                    "ExpressionAttributeNames": names | when_names,
                    "ExpressionAttributeValues": serialize(values | {":ex": execution} | (condition_values or {})),
                }
            },
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize(listing),
                    "UpdateExpression": update + ", #x = :x",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": names | {"#x": "x"},
                    "ExpressionAttributeValues": serialize(values | {":x": self._expires()}),
                }
            },
        ]
        units = 2 * (write_units(item_size(serialize(item))) + 1)
        try:
            self._transact(actions, units)
        except Conflict:
            return False
        return True

    def end(self, workflow_id: str, contact_key: str, execution: str, status: JourneyStatus, at: str) -> bool:
        return self._change(
            workflow_id, contact_key, execution, {"st": status, "ea": at}, "#st = :running", {":running": RUNNING}
        )

    def set_execution_arn(self, workflow_id: str, contact_key: str, execution: str, arn: str) -> None:
        self._change(workflow_id, contact_key, execution, {"arn": arn})

    def reach_goal(self, workflow_id: str, contact_key: str, execution: str, at: str) -> bool:
        return self._change(workflow_id, contact_key, execution, {"ga": at}, "attribute_not_exists(#ga)")

    def executions(self, workflow_id: str, limit: int, cursor: str | None = None) -> tuple[list[Journey], str | None]:
        after = _decode_cursor(workflow_id, cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        start = {"pk": f"X#{workflow_id}", "sk": after} if after else None
        items, _ = self.table.query(
            "pk = :pk", {":pk": f"X#{workflow_id}"}, forward=False, limit=limit + 1, start=start
        )
        page = items[:limit]
        more = len(items) > limit
        return [_journey(i) for i in page], _encode_cursor(workflow_id, str(page[-1]["sk"])) if more else None

    def claim_occasion(self, workflow_id: str, occasion: str) -> bool:
        try:
            self.table.put({**_occasion_key(workflow_id, occasion), "x": self._expires()}, "attribute_not_exists(pk)")
        except Conflict:  # claimed already
            return False
        return True

    # parked waits

    def park(self, park: Park) -> None:
        body = json.dumps(asdict(park), sort_keys=True)
        try:
            self.table.put({**_park_key(park), "body": body, "x": _epoch(park.expires_at)}, "attribute_not_exists(pk)")
        except Conflict:  # parked already
            return

    def parked(self, contact_key: str, event: str) -> list[Park]:
        now = self.clock.now()
        pk = f"P#{_ck(contact_key)}#{event}"
        found = [_park(i) for i in self.table.query_all("pk = :pk", {":pk": pk})]
        return [p for p in found if datetime.fromisoformat(p.expires_at) > now]

    def unpark(self, park: Park) -> bool:
        try:
            self.table.delete(_park_key(park), 1, condition="attribute_exists(pk)")
        except Conflict:  # resumed (or expired) already
            return False
        return True

    # statistics and history

    def _count_update(self, workflow_id: str, block: str, counters: dict[str, int]) -> dict[str, Any] | None:
        added = {name: n for name, n in counters.items() if n}
        if not added:
            return None
        return {
            "TableName": self.table.name,
            "Key": serialize(_counter_key(workflow_id, block)),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(added))),
            "ExpressionAttributeNames": {f"#c{i}": f"c:{name}" for i, name in enumerate(added)},
            "ExpressionAttributeValues": serialize({f":c{i}": n for i, n in enumerate(added.values())}),
        }

    def record_step(self, workflow_id: str, step: StepRecord, counts: dict[str, dict[str, int]]) -> bool:
        item = {
            "pk": f"H#{step.execution}",
            "sk": f"{step.seq:06d}",
            "at": step.at,
            "body": json.dumps(list(step.entries), sort_keys=True),
            "x": self._expires(),
        }
        put = {"TableName": self.table.name, "Item": serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}
        updates = [u for block, c in counts.items() if (u := self._count_update(workflow_id, block, c))]
        # a stretch touching more blocks than one transaction holds adds the rest after it (not atomically)
        first, rest = updates[: MAX_ACTIONS - 1], updates[MAX_ACTIONS - 1 :]
        units = 2 * (write_units(item_size(serialize(item))) + len(first))
        try:
            self._transact([{"Put": put}, *({"Update": u} for u in first)], units)
        except Conflict:  # recorded by an earlier run of this task
            return False
        for update in rest:
            self.table._write("dynamodb.UpdateItem", self.table.client.update_item, update, 1)
        return True

    def add_counts(self, workflow_id: str, counts: dict[str, dict[str, int]]) -> None:
        for block, counters in counts.items():
            update = self._count_update(workflow_id, block, counters)
            if update is not None:
                self.table._write("dynamodb.UpdateItem", self.table.client.update_item, update, 1)

    def counts(self, workflow_id: str) -> BlockCounts:
        found: dict[str, dict[str, int]] = {}
        for item in self.table.query_all("pk = :pk", {":pk": f"S#{workflow_id}"}):
            found[str(item["sk"])] = {k[2:]: int(v) for k, v in item.items() if k.startswith("c:")}
        return BlockCounts(found)

    def history(self, execution: str) -> list[StepRecord]:
        return [
            StepRecord(execution, int(i["sk"]), str(i["at"]), tuple(json.loads(i["body"])))
            for i in self.table.query_all("pk = :pk", {":pk": f"H#{execution}"})
        ]

    # one-from-many variants

    def variant_sent(self, workflow_id: str, block: str, template_id: str, contact_key: str, at: str) -> None:
        self._update({"pk": f"V#{workflow_id}#{block}", "sk": template_id}, "ADD #s :one", {":one": 1}, {"#s": "s"}, "")
        self.table.put(
            {"pk": f"R#{workflow_id}#{block}#{_ck(contact_key)}", "sk": template_id, "at": at, "x": self._expires()}
        )

    def variant_clicked(self, workflow_id: str, block: str, template_id: str) -> None:
        self._update({"pk": f"V#{workflow_id}#{block}", "sk": template_id}, "ADD #c :one", {":one": 1}, {"#c": "c"}, "")

    def variants(self, workflow_id: str, block: str) -> dict[str, tuple[int, int]]:
        items = self.table.query_all("pk = :pk", {":pk": f"V#{workflow_id}#{block}"})
        return {str(i["sk"]): (int(i.get("s", 0)), int(i.get("c", 0))) for i in items}

    def recent_variants(self, workflow_id: str, block: str, contact_key: str) -> dict[str, str]:
        now = int(self.clock.now().timestamp())
        items = self.table.query_all("pk = :pk", {":pk": f"R#{workflow_id}#{block}#{_ck(contact_key)}"})
        return {str(i["sk"]): str(i["at"]) for i in items if int(i.get("x", now + 1)) > now}
