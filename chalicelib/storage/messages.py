"""Messages table adapter: the send ledger, message records and their counters, first-time marks, the sandbox's
outbox and the stage's link secret.

One table, ``orbit-<stage>-messages`` (``pk``/``sk``, both strings, TTL on ``x``), holds these kinds of item:

* ledger claims: ``("L#<digest>", "claim")``, ``digest`` the SHA-256 of (origin, step, contact, channel)
  (``messaging/ledger.py``), with the parts and the claimed message id (``mid``). A conditional PutItem
  (``attribute_not_exists``) makes the first claim win; a loser reads the winner's back (consistently);
* message records: ``("M#<id>", "msg")``, the status and its details, and one top-level attribute per counter
  (``c_opened``) and per counter's first moment (``f_opened``), so an UpdateItem ``ADD`` moves one without reading
  or rewriting the record (a status change never loses a concurrent click). Status changes are UpdateItems
  conditional on the status they expect (``pending`` -> ``sending`` -> ``sent``/``failed``);
* first-time marks: ``("M#<id>", "mark#<act>")`` with ``at`` and ``done``: the first open, the first click of
  each link, the unsubscribe (conditional PutItem: the first wins);
* the sandbox's outbox: ``("outbox", <message id>)``; message ids sort by creation time, so one Query read
  backwards lists newest first (channel and contact are filters: the sandbox holds what one developer or one test
  stage sent, not production volumes). Kept ``OUTBOX_DAYS``;
* the link secret: ``("config", "link-secret")``;
* provider ids: ``("P#<provider>#<provider id>", "msg")`` with the message id (``mid``), so a provider's callback
  finds the message it names (Telegram ``<chat id>:<message id>``, Viber ``message_token``);
* chat link codes: ``("C#<code>", "link")`` with the contact key and channel, kept until the code expires;
* linked chats: ``("H#<channel>#<identifier>", "contact")``: the contact a Telegram chat or Viber user was last
  linked to (the bots' unsubscribes name only the chat).

Ledger claims, records, marks, provider ids and linked chats are kept ``retention_days`` (the events'
retention): a ledger key stays claimed as long as the contact's events can tell what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.clock import Clock
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.errors import Conflict, NotFound, bad_cursor
from chalicelib.messaging.chat_links import LinkCode
from chalicelib.messaging.ledger import Claim, LedgerKey
from chalicelib.messaging.outbound import COUNTERS, Mark, Message, OutboxItem, Outgoing, Status
from chalicelib.storage.dynamo import PAGE_CALLS, PAGE_READ, Table, translate
from chalicelib.storage.items import Item, deserialize, item_size, serialize, write_units

CLAIM = "claim"
RECORD = "msg"
OUTBOX = "outbox"
OUTBOX_DAYS = 30
SECRET_KEY = {"pk": "config", "sk": "link-secret"}
_CURSOR = "ob1."

# Message fields and the attribute each is stored as.
_ATTRS: dict[str, str] = {
    "id": "id",
    "ledger_key": "led",
    "origin": "origin",
    "step": "step",
    "contact_key": "ck",
    "channel": "ch",
    "template_id": "tpl",
    "transactional": "tx",
    "status": "status",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "external_request_id": "xrid",
    "language": "lang",
    "failure": "failure",
    "reason": "reason",
    "provider": "provider",
    "provider_id": "pid",
    "sending_at": "sendingAt",
    "sent_at": "sentAt",
    "attempts": "attempts",
}
_SETTABLE = frozenset(_ATTRS) - {"id"}


def _record_key(message_id: str) -> Item:
    return {"pk": f"M#{message_id}", "sk": RECORD}


def _mark_key(message_id: str, act: str) -> Item:
    return {"pk": f"M#{message_id}", "sk": f"mark#{act}"}


def _message_item(message: Message, expires: int) -> Item:
    item: Item = {**_record_key(message.id), "x": expires}
    for name, attr in _ATTRS.items():
        item[attr] = getattr(message, name)
    for counter, n in message.counters.items():
        item[f"c_{counter}"] = n
    for counter, at in message.first.items():
        item[f"f_{counter}"] = at
    return item


def _message(item: Item) -> Message:
    values: dict[str, Any] = {name: item.get(attr) for name, attr in _ATTRS.items()}
    values["transactional"] = bool(values["transactional"])
    values["attempts"] = int(values["attempts"] or 0)
    return Message(
        **values,
        counters={c: int(item[f"c_{c}"]) for c in COUNTERS if item.get(f"c_{c}")},
        first={c: item[f"f_{c}"] for c in COUNTERS if item.get(f"f_{c}")},
    )


def _outbox_item(item: OutboxItem, expires: int) -> Item:
    message = item.message
    return {
        "pk": OUTBOX,
        "sk": message.message_id,
        "ch": message.channel,
        "ck": message.contact_key,
        "tpl": message.template_id,
        "to": json.dumps(message.to, separators=(",", ":")),
        "content": json.dumps(message.content, separators=(",", ":"), ensure_ascii=False),
        "headers": json.dumps(message.headers, separators=(",", ":")),
        "lang": message.language,
        "createdAt": message.created_at,
        "pid": item.provider_id,
        "sentAt": item.sent_at,
        "x": expires,
    }


def _outboxed(item: Item) -> OutboxItem:
    return OutboxItem(
        message=Outgoing(
            message_id=item["sk"],
            channel=item["ch"],
            contact_key=item["ck"],
            template_id=item.get("tpl", ""),
            to=json.loads(item.get("to") or "{}"),
            content=json.loads(item.get("content") or "{}"),
            headers=json.loads(item.get("headers") or "{}"),
            language=item.get("lang"),
            created_at=item.get("createdAt", ""),
        ),
        provider_id=item.get("pid", ""),
        sent_at=item.get("sentAt", ""),
    )


def _encode_cursor(after: str) -> str:
    return encode_cursor(_CURSOR, {"after": after})


def _decode_cursor(cursor: str) -> str:
    data = decode_cursor(_CURSOR, cursor)
    if set(data) != {"after"} or not isinstance(data["after"], str) or not data["after"]:
        raise bad_cursor()
    return data["after"]


class DynamoMessageStore:
    """``MessageStore`` on the messages table; ``clock`` dates the items' expiry."""

    def __init__(self, table: Table, clock: Clock, retention_days: int) -> None:
        self.table = table
        self.clock = clock
        self.retention = timedelta(days=retention_days)

    def _expires(self, keep: timedelta) -> int:
        return int((self.clock.now() + keep).timestamp())

    # --- the ledger -------------------------------------------------------------------------------------------

    def claim(self, claim: Claim) -> Claim:
        key = claim.key
        item = {
            "pk": f"L#{key.digest}",
            "sk": CLAIM,
            "origin": key.origin,
            "step": key.step,
            "ck": key.contact_key,
            "ch": key.channel,
            "mid": claim.message_id,
            "at": claim.claimed_at,
            "x": self._expires(self.retention),
        }
        try:
            self.table.put(item, "attribute_not_exists(pk)")
            return claim
        except Conflict:
            stored = self.table.get({"pk": item["pk"], "sk": CLAIM})
        if stored is None:  # expired between the two calls: claim it again
            return self.claim(claim)
        return Claim(
            LedgerKey(stored["origin"], stored["step"], stored["ck"], stored["ch"]), stored["mid"], stored["at"]
        )

    # --- message records ----------------------------------------------------------------------------------------

    def create_message(self, message: Message) -> Message:
        try:
            self.table.put(_message_item(message, self._expires(self.retention)), "attribute_not_exists(pk)")
            return message
        except Conflict:
            stored = self.message(message.id)
        return stored if stored is not None else self.create_message(message)

    def message(self, message_id: str) -> Message | None:
        item = self.table.get(_record_key(message_id))
        return _message(item) if item else None

    def update_message(self, message_id: str, expected: Status, changes: Mapping[str, Any]) -> Message:
        unknown = set(changes) - _SETTABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a message")
        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": expected}
        sets, removes = [], []
        for n, (name, value) in enumerate(sorted(changes.items())):
            names[f"#a{n}"] = _ATTRS[name]
            if value is None:
                removes.append(f"#a{n}")
            else:
                sets.append(f"#a{n} = :v{n}")
                values[f":v{n}"] = value
        expression = " ".join(
            part
            for part in (f"SET {', '.join(sets)}" if sets else "", f"REMOVE {', '.join(removes)}" if removes else "")
            if part
        )
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": serialize(_record_key(message_id)),
            "ConditionExpression": "attribute_exists(pk) AND #status = :expected",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": "ALL_NEW",
        }
        if expression:
            kwargs["UpdateExpression"] = expression
        else:  # nothing to change: still check the status
            kwargs["UpdateExpression"] = "SET #status = :expected"
        try:
            item = self._update(kwargs)
        except Conflict:
            stored = self.message(message_id)
            if stored is None:
                raise NotFound(f"Message {message_id!r} does not exist") from None
            raise Conflict(f"Message {message_id!r} is {stored.status}, not {expected}") from None
        return _message(item)

    def _update(self, kwargs: dict[str, Any]) -> Item:
        """One UpdateItem returning the item after it, metered by that item's size (a failed condition costs one
        unit, as DynamoDB bills it)."""
        try:
            out = self.table.client.update_item(**kwargs)
        except ClientError as exc:
            error = translate(exc)
            if isinstance(error, Conflict):
                self.table.meter.request("dynamodb.UpdateItem", 1)
            raise error from exc
        except BotoCoreError as exc:
            raise translate(exc) from exc
        raw = out.get("Attributes") or {}
        self.table.meter.request("dynamodb.UpdateItem", write_units(item_size(raw)) if raw else 1)
        return deserialize(raw)

    def count(self, message_id: str, counter: str, at: str) -> None:
        if counter not in COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        try:
            self._update(
                {
                    "TableName": self.table.name,
                    "Key": serialize(_record_key(message_id)),
                    "UpdateExpression": "ADD #c :one SET #f = if_not_exists(#f, :at)",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#c": f"c_{counter}", "#f": f"f_{counter}"},
                    "ExpressionAttributeValues": serialize({":one": 1, ":at": at}),
                    "ReturnValues": "NONE",
                }
            )
        except Conflict:
            return  # no such message: nothing to count

    # --- first-time marks ---------------------------------------------------------------------------------------

    def mark(self, message_id: str, act: str, at: str) -> Mark:
        key = _mark_key(message_id, act)
        try:
            self.table.put(
                {**key, "at": at, "done": False, "x": self._expires(self.retention)}, "attribute_not_exists(pk)"
            )
            return Mark(at=at, done=False)
        except Conflict:
            stored = self.table.get(key)
        if stored is None:
            return self.mark(message_id, act, at)
        return Mark(at=stored["at"], done=bool(stored.get("done")))

    def mark_done(self, message_id: str, act: str) -> None:
        self._update(
            {
                "TableName": self.table.name,
                "Key": serialize(_mark_key(message_id, act)),
                "UpdateExpression": "SET #done = :yes",
                "ExpressionAttributeNames": {"#done": "done"},
                "ExpressionAttributeValues": serialize({":yes": True}),
                "ReturnValues": "NONE",
            }
        )

    # --- the sandbox's outbox -----------------------------------------------------------------------------------

    def record_outbox(self, item: OutboxItem) -> None:
        try:
            self.table.put(_outbox_item(item, self._expires(timedelta(days=OUTBOX_DAYS))), "attribute_not_exists(sk)")
        except Conflict:
            return  # recorded before (a resend after a crash): the first copy stands

    def outbox(
        self, limit: int, cursor: str | None = None, *, channel: str | None = None, contact_key: str | None = None
    ) -> tuple[list[OutboxItem], str | None]:
        after = _decode_cursor(cursor) if cursor is not None else None
        if limit < 1:
            return [], None
        filters, values = [], {":pk": OUTBOX}
        if channel is not None:
            filters.append("ch = :ch")
            values[":ch"] = channel
        if contact_key is not None:
            filters.append("ck = :ck")
            values[":ck"] = contact_key
        found: list[Item] = []
        for _ in range(PAGE_CALLS):
            kwargs: dict[str, Any] = {
                "TableName": self.table.name,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": serialize(values),
                "ScanIndexForward": False,
                "Limit": max(limit - len(found), PAGE_READ),
            }
            if filters:
                kwargs["FilterExpression"] = " AND ".join(filters)
            if after is not None:
                kwargs["ExclusiveStartKey"] = serialize({"pk": OUTBOX, "sk": after})
            items, last = self.table._page("dynamodb.Query", self.table.client.query, kwargs)
            for index, item in enumerate(items):
                found.append(item)
                if len(found) == limit:
                    more = index < len(items) - 1 or last is not None
                    return [_outboxed(i) for i in found], _encode_cursor(item["sk"]) if more else None
            if last is None:
                return [_outboxed(i) for i in found], None
            after = last["sk"]
        return [_outboxed(i) for i in found], _encode_cursor(after) if after else None

    def outbox_item(self, message_id: str) -> OutboxItem | None:
        item = self.table.get({"pk": OUTBOX, "sk": message_id})
        return _outboxed(item) if item else None

    # --- provider ids, link codes and linked chats -------------------------------------------------------------

    def remember_provider_id(self, provider: str, provider_id: str, message_id: str) -> None:
        self.table.put(
            {"pk": f"P#{provider}#{provider_id}", "sk": RECORD, "mid": message_id, "x": self._expires(self.retention)}
        )

    def message_by_provider_id(self, provider: str, provider_id: str) -> Message | None:
        item = self.table.get({"pk": f"P#{provider}#{provider_id}", "sk": RECORD})
        return self.message(str(item["mid"])) if item else None

    def remember_link_code(self, link: LinkCode) -> None:
        self.table.put(
            {"pk": f"C#{link.code}", "sk": "link", "ck": link.contact_key, "ch": link.channel, "x": link.expires}
        )

    def link_code(self, code: str) -> LinkCode | None:
        item = self.table.get({"pk": f"C#{code}", "sk": "link"})
        return LinkCode(code, str(item["ck"]), str(item["ch"]), int(item["x"])) if item else None

    def remember_chat(self, channel: str, identifier: str, contact_key: str) -> None:
        self.table.put(
            {"pk": f"H#{channel}#{identifier}", "sk": "contact", "ck": contact_key, "x": self._expires(self.retention)}
        )

    def chat_contact(self, channel: str, identifier: str) -> str | None:
        item = self.table.get({"pk": f"H#{channel}#{identifier}", "sk": "contact"})
        return str(item["ck"]) if item else None

    # --- the link secret ----------------------------------------------------------------------------------------

    def stage_secret(self, candidate: str) -> str:
        try:
            self.table.put({**SECRET_KEY, "secret": candidate}, "attribute_not_exists(pk)")
            return candidate
        except Conflict:
            stored = self.table.get(SECRET_KEY)
        return str(stored["secret"]) if stored else self.stage_secret(candidate)
