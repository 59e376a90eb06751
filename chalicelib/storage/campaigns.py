"""Campaigns on the messages table.

* a campaign: ``("campaigns", <id>)`` (ids sort by creation, so one Query lists them oldest first), its fields and
  one top-level number per progress counter (``p_sent``), moved by ``ADD``;
* a member's outcome, or a fanned-out page: ``("C#<id>", "m#<mark>")``, written in one transaction with the
  counter's ``ADD`` under ``attribute_not_exists``: an outcome counts once, and never without its mark;
* work due at a time: ``("due", "<ISO at>#<key>")`` with a queue message body; the 1-minute ``campaigns_due``
  schedule queues what is due (scheduled campaigns, messages deferred to the contact's send hours).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.campaigns import PROGRESS, Campaign, CampaignStatus
from chalicelib.storage.dynamo import Table
from chalicelib.storage.items import Item, item_size, serialize, write_units

LISTING = "campaigns"
DUE = "due"
_ATTRS = {"status": "status", "generation": "gen", "fanned_out": "fanned", "updated_at": "updatedAt"}


def _item(c: Campaign) -> Item:
    return {
        "pk": LISTING,
        "sk": c.id,
        "tpl": c.template_id,
        "aud": c.audience_id,
        "audKind": c.audience_kind,
        "ch": c.channel,
        "sendAt": c.send_at,
        "status": c.status,
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
        "name": c.name,
        "tags": list(c.tags),
        "gen": c.generation,
        "fanned": c.fanned_out,
        "base": c.base_url,
        **{f"p_{k}": n for k, n in c.progress.items()},
    }


def _campaign(item: Item) -> Campaign:
    return Campaign(
        id=item["sk"],
        template_id=item["tpl"],
        audience_id=item["aud"],
        audience_kind=item["audKind"],
        channel=item["ch"],
        send_at=item["sendAt"],
        status=item["status"],
        created_at=item["createdAt"],
        updated_at=item["updatedAt"],
        name=item.get("name") or "",
        tags=tuple(item.get("tags") or ()),
        generation=int(item["gen"]) if item.get("gen") is not None else None,
        fanned_out=bool(item.get("fanned")),
        progress={k: int(item[f"p_{k}"]) for k in PROGRESS if item.get(f"p_{k}")},
        base_url=item.get("base") or "",
    )


class DynamoCampaignStore:
    """``CampaignStore`` on the messages table; marks expire with the ledger (``retention_days``)."""

    def __init__(self, table: Table, clock: Clock, retention_days: int) -> None:
        self.table = table
        self.clock = clock
        self.retention = timedelta(days=retention_days)

    def create(self, campaign: Campaign) -> None:
        try:
            self.table.put(_item(campaign), "attribute_not_exists(pk)")
        except Conflict:
            raise Conflict(f"Campaign {campaign.id!r} exists") from None

    def campaign(self, campaign_id: str) -> Campaign | None:
        item = self.table.get({"pk": LISTING, "sk": campaign_id})
        return _campaign(item) if item else None

    def campaigns(self) -> list[Campaign]:
        return [_campaign(i) for i in self.table.query_all("pk = :pk", {":pk": LISTING})]

    def update(self, campaign_id: str, expected: CampaignStatus, changes: Mapping[str, Any]) -> Campaign:
        unknown = set(changes) - set(_ATTRS)
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a campaign")
        names = {"#status": "status"}
        values: dict[str, Any] = {":expected": expected}
        sets = []
        for n, (name, value) in enumerate(sorted(changes.items())):
            names[f"#a{n}"] = _ATTRS[name]
            values[f":v{n}"] = value
            sets.append(f"#a{n} = :v{n}")
        try:
            out = self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize({"pk": LISTING, "sk": campaign_id}),
                UpdateExpression=f"SET {', '.join(sets)}" if sets else "SET #status = :expected",
                ConditionExpression="attribute_exists(pk) AND #status = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            self.table.meter.request("dynamodb.UpdateItem", 1)
            stored = self.campaign(campaign_id)
            if stored is None:
                raise NotFound(f"Campaign {campaign_id!r} does not exist") from None
            raise Conflict(f"Campaign {campaign_id!r} is {stored.status}, not {expected}") from None
        raw = out.get("Attributes") or {}
        self.table.meter.request("dynamodb.UpdateItem", write_units(item_size(raw)))
        found = self.campaign(campaign_id)
        assert found is not None
        return found

    def record(self, campaign_id: str, mark: str, outcome: str, message_id: str | None = None, n: int = 1) -> bool:
        if outcome not in PROGRESS:
            raise ValueError(f"unknown campaign outcome {outcome!r}")
        mark_item: Item = {
            "pk": f"C#{campaign_id}",
            "sk": f"m#{mark}",
            "outcome": outcome,
            "x": int((self.clock.now() + self.retention).timestamp()),
        }
        if message_id is not None:
            mark_item["mid"] = message_id
        try:
            self.table.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": serialize(mark_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table.name,
                            "Key": serialize({"pk": LISTING, "sk": campaign_id}),
                            "UpdateExpression": "ADD #p :n",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": {"#p": f"p_{outcome}"},
                            "ExpressionAttributeValues": serialize({":n": n}),
                        }
                    },
                ]
            )
        except self.table.client.exceptions.TransactionCanceledException:
            self.table.meter.request("dynamodb.TransactWriteItems", 2)
            return False
        self.table.meter.request("dynamodb.TransactWriteItems", 2 * (write_units(item_size(serialize(mark_item))) + 1))
        return True

    def outcomes(self, campaign_id: str) -> Iterator[tuple[str, str, str | None]]:
        for item in self.table.query_all("pk = :pk AND begins_with(sk, :m)", {":pk": f"C#{campaign_id}", ":m": "m#"}):
            mark = str(item["sk"])[2:]
            if not mark.startswith("page:"):
                yield mark, str(item["outcome"]), item.get("mid")

    def schedule(self, at: str, key: str, body: str) -> None:
        try:
            self.table.put({"pk": DUE, "sk": f"{at}#{key}", "body": body}, "attribute_not_exists(pk)")
        except Conflict:
            return

    def due(self, until: str, limit: int) -> list[tuple[str, str]]:
        items, _ = self.table.query("pk = :pk AND sk <= :until", {":pk": DUE, ":until": f"{until}#~"}, limit=limit)
        return [(str(i["sk"]), str(i["body"])) for i in items]

    def done(self, entry: str) -> None:
        self.table.delete({"pk": DUE, "sk": entry})
