"""Contacts table adapter: load and save contact records with optimistic versions; retire a merged contact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.contacts.folded import Folded
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord
from chalicelib.storage.dynamo import Table, checked_start, collect_page, translate
from chalicelib.storage.items import Item, item_size, serialize, write_units

# the standard fields, and per-channel consent ({"email": {"status", "at", "source"}}, docs/messages.md)
_PROFILE_ATTRS = ("email", "phone", "firstName", "lastName", "languageCode", "timeZone", "address", "consent")


def _to_item(rec: ContactRecord) -> Item:
    item: Item = {
        "pk": rec.key,
        "kind": rec.kind,
        "fields": rec.fields or None,
        "channels": rec.channels or None,
        "agg": rec.aggs,
        "merged": rec.merged or None,
        "mergedInto": rec.merged_into,
        "mh": rec.merge_history or None,
        "fd": rec.folded.pack() or None,
        "ver": rec.version,
        "createdAt": rec.created_at,
        "updatedAt": rec.updated_at,
    }
    for attr in _PROFILE_ATTRS:
        item[attr] = rec.profile.get(attr)
    if rec.kind != KIND_CONTACT:  # only known contacts are findable by email/phone
        item.pop("email", None)
        item.pop("phone", None)
        item["pEmail"] = rec.profile.get("email")
        item["pPhone"] = rec.profile.get("phone")
    return item


def _from_item(item: Item) -> ContactRecord:
    profile = {a: item[a] for a in _PROFILE_ATTRS if item.get(a) is not None}
    for stored, attr in (("pEmail", "email"), ("pPhone", "phone")):
        if item.get(stored):
            profile[attr] = item[stored]
    return ContactRecord(
        key=item["pk"],
        kind=item.get("kind", KIND_CONTACT),
        profile=profile,
        fields=item.get("fields") or {},
        channels=item.get("channels") or [],
        aggs=item.get("agg") or {},
        merged=item.get("merged") or [],
        merged_into=item.get("mergedInto"),
        merge_history=item.get("mh") or [],
        folded=Folded.unpack(item.get("fd")),
        version=int(item.get("ver", 0)),
        created_at=item.get("createdAt", ""),
        updated_at=item.get("updatedAt", ""),
        stored_size=item_size(serialize(item)),
    )


class DynamoContactStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def load(self, key: str) -> ContactRecord | None:
        item = self.table.get({"pk": key})
        return _from_item(item) if item else None

    def load_many(self, keys: list[str]) -> dict[str, ContactRecord]:
        if not keys:
            return {}
        items = self.table.batch_get([{"pk": k} for k in dict.fromkeys(keys)])
        return {i["pk"]: _from_item(i) for i in items}

    def save(self, rec: ContactRecord, old: ContactRecord | None) -> None:
        """Write ``rec`` if the stored version is still ``old``'s; raises Conflict otherwise."""
        expected = old.version if old else 0
        rec.version = expected + 1
        item = _to_item(rec)
        if expected:
            condition, values = "ver = :v", {":v": expected}
        else:
            condition, values = "attribute_not_exists(pk)", {}
        old_size = old.stored_size if old else 0
        index_units = self._index_units(item, old)
        if values:
            self.table.replace(item, old_size, condition, values)
        else:
            self.table.put(item, condition)
        if index_units:
            self.table.meter.request("dynamodb.IndexWrite", index_units)
        rec.stored_size = item_size(serialize(item))

    @staticmethod
    def _index_units(item: Item, old: ContactRecord | None) -> int:
        """GSI (keys only) writes happen when an indexed attribute changes."""
        units = 0
        for attr in ("email", "phone"):
            before = old.profile.get(attr) if old and old.kind == KIND_CONTACT else None
            if item.get(attr) != before:
                units += (1 if before else 0) + (1 if item.get(attr) else 0)
        return units

    def delete(self, rec: ContactRecord) -> None:
        self.table.delete({"pk": rec.key}, rec.stored_size)

    def scan(self, segment: int = 0, total_segments: int = 1) -> Iterator[ContactRecord]:
        return (_from_item(i) for i in self.table.scan(segment, total_segments))

    def scan_part(
        self, part: int, parts: int, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        start = checked_start(start, ("pk",))
        items, last = self.table.scan_page(
            limit, start, "#kind = :kind", {":kind": KIND_CONTACT}, {"#kind": "kind"}, part=(part, parts)
        )
        return [_from_item(i) for i in items], last

    def find(self, attr: str, value: str) -> list[ContactRecord]:
        index = {"email": "by_email", "phone": "by_phone"}[attr]
        keys = [i["pk"] for i in self.table.query_all("#a = :v", {":v": value}, index=index, names={"#a": attr})]
        found = self.load_many(keys)
        return sorted(found.values(), key=lambda r: r.updated_at, reverse=True)

    def page(
        self,
        limit: int,
        start: dict[str, Any] | None = None,
        *,
        created: tuple[str | None, str | None] = (None, None),
        updated: tuple[str | None, str | None] = (None, None),
        fields: dict[str, Any] | None = None,
    ) -> tuple[list[ContactRecord], dict[str, Any] | None]:
        """A Scan with a FilterExpression: known contacts only, in the table's (hash) order."""
        start = checked_start(start, ("pk",))
        parts = ["#kind = :kind"]
        values: dict[str, Any] = {":kind": KIND_CONTACT}
        names = {"#kind": "kind"}
        for attr, (low, high) in (("createdAt", created), ("updatedAt", updated)):
            for op, bound, tag in ((">=", low, "lo"), ("<=", high, "hi")):
                if bound is not None:
                    names[f"#{attr}"] = attr
                    parts.append(f"#{attr} {op} :{attr}{tag}")
                    values[f":{attr}{tag}"] = bound
        for n, (name, value) in enumerate((fields or {}).items()):
            names["#fields"], names[f"#f{n}"] = "fields", name
            values[f":f{n}"], values[":list"] = value, "L"
            parts.append(
                f"(#fields.#f{n} = :f{n} OR (attribute_type(#fields.#f{n}, :list) AND contains(#fields.#f{n}, :f{n})))"
            )
        condition = " AND ".join(parts)

        def fetch(after: Item | None, read: int) -> tuple[list[Item], Item | None]:
            return self.table.scan_page(read, after, condition, values, names)

        items, last = collect_page(fetch, limit, start, lambda i: {"pk": i["pk"]})
        return [_from_item(i) for i in items], last


class DynamoContactMerges:
    """``ContactMerges`` on the contacts table: the alias write and the check on the target in one transaction."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def retire(self, alias: ContactRecord, old: ContactRecord, target: ContactRecord) -> None:
        alias.version = old.version + 1
        item = _to_item(alias)
        raw = serialize(item)
        actions: list[dict[str, object]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": raw,
                    "ConditionExpression": "ver = :v",
                    "ExpressionAttributeValues": serialize({":v": old.version}),
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self.table.name,
                    "Key": serialize({"pk": target.key}),
                    "ConditionExpression": "ver = :v",
                    "ExpressionAttributeValues": serialize({":v": target.version}),
                }
            },
        ]
        # a transaction bills each item twice: the put at the larger of its old and new size, the check as 1 unit
        units = 2 * (write_units(max(item_size(raw), old.stored_size)) + 1)
        try:
            self.table.client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc
        self.table.meter.request("dynamodb.TransactWriteItems", units)
        index_units = DynamoContactStore._index_units(item, old)
        if index_units:
            self.table.meter.request("dynamodb.IndexWrite", index_units)
        alias.stored_size = item_size(raw)
