"""Contacts table adapter: load and save contact records with optimistic versions."""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.contacts.folded import Folded
from chalicelib.contacts.record import KIND_CONTACT, ContactRecord
from chalicelib.storage.dynamo import Item, Table, item_size, serialize

_PROFILE_ATTRS = ("email", "phone", "firstName", "lastName", "languageCode", "timeZone", "address")


def _to_item(rec: ContactRecord) -> Item:
    item: Item = {
        "pk": rec.key,
        "kind": rec.kind,
        "fields": rec.fields or None,
        "channels": rec.channels or None,
        "agg": rec.aggs,
        "merged": rec.merged or None,
        "mergedInto": rec.merged_into,
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

    def find(self, attr: str, value: str) -> list[ContactRecord]:
        index = {"email": "by_email", "phone": "by_phone"}[attr]
        keys = [i["pk"] for i in self.table.query_all("#a = :v", {":v": value}, index=index, names={"#a": attr})]
        found = self.load_many(keys)
        return sorted(found.values(), key=lambda r: r.updated_at, reverse=True)
