"""DynamoDB tables: every call metered (``storage/items.py`` sizes items by DynamoDB's rules; double inside
transactions; index copies extra), every ClientError translated into Orbit's errors in one place, unprocessed
batch items retried with backoff, and listing pages with opaque cursors. Every write goes through ``Table``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Conflict, OrbitError, Permanent, Retryable, bad_cursor
from chalicelib.storage.items import METER, Item, Meter, deserialize, item_size, serialize, write_units

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}


def translate(exc: Exception) -> OrbitError:
    """One place that turns AWS errors into Orbit's error tree."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", code)
        if code == "ConditionalCheckFailedException":
            return Conflict("The item changed or already exists")
        if code == "TransactionCanceledException" and "ConditionalCheckFailed" in message:
            return Conflict("The item changed or already exists")
        if code in _RETRYABLE:
            return Retryable(f"DynamoDB is busy: {code}")
        return Permanent(f"DynamoDB rejected the request: {code}: {message}")
    if isinstance(exc, BotoCoreError):
        return Retryable(f"AWS call failed: {exc}")
    raise exc


BATCH_ATTEMPTS = 8  # of a batch call whose items keep coming back unprocessed
BACKOFF_BASE = 0.05
BACKOFF_CAP = 2.0


def backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...): exponential with full jitter, as AWS advises."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


class Table:
    """A DynamoDB table: every call is metered, every error translated, and unprocessed batch items are
    retried with exponential backoff."""

    def __init__(
        self,
        client: DynamoDBClient,
        name: str,
        meter: Meter = METER,
        index_copies: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = name
        self.meter = meter
        self.index_copies = index_copies  # LSI/GSI (projection ALL) copies written with each put
        self.sleep = sleep

    def get(self, key: Item, consistent: bool = True) -> Item | None:
        try:
            out = self.client.get_item(TableName=self.name, Key=serialize(key), ConsistentRead=consistent)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc
        self.meter.request("dynamodb.GetItem")
        return deserialize(out["Item"]) if "Item" in out else None

    def _write(self, operation: str, call: Any, kwargs: dict[str, Any], units: int, index_units: int = 0) -> None:
        """Run a write and meter it as DynamoDB bills it: a failed condition still costs the base units
        (nothing reaches the indexes); throttled or failed calls cost nothing."""
        try:
            call(**kwargs)
        except ClientError as exc:
            error = translate(exc)
            if isinstance(error, Conflict):
                self.meter.request(operation, units)
            raise error from exc
        except BotoCoreError as exc:
            raise translate(exc) from exc
        self.meter.request(operation, units + index_units)

    def put(self, item: Item, condition: str | None = None, names: dict[str, str] | None = None) -> None:
        raw = serialize(item)
        units = write_units(item_size(raw))
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": raw}
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        self._write("dynamodb.PutItem", self.client.put_item, kwargs, units, units * self.index_copies)

    def replace(self, item: Item, old_size: int, condition: str, values: dict[str, Any]) -> None:
        """A conditional overwrite of a whole item (optimistic concurrency)."""
        raw = serialize(item)
        units = write_units(max(item_size(raw), old_size))
        kwargs = {
            "TableName": self.name,
            "Item": raw,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
        }
        self._write("dynamodb.PutItem", self.client.put_item, kwargs, units, units * self.index_copies)

    def transact_put(self, puts: list[tuple[Item, str | None, dict[str, Any] | None]]) -> None:
        """Put every ``(item, condition, values)`` or none (TransactWriteItems, up to 100; billed twice)."""
        raw = [serialize(item) for item, _, _ in puts]
        actions: list[dict[str, Any]] = []
        for item, (_, condition, values) in zip(raw, puts, strict=True):
            put: dict[str, Any] = {"TableName": self.name, "Item": item}
            if condition:
                put["ConditionExpression"] = condition
            if values:
                put["ExpressionAttributeValues"] = serialize(values)
            actions.append({"Put": put})
        units = 2 * sum(write_units(item_size(item)) for item in raw)
        self._write(
            "dynamodb.TransactWriteItems",
            self.client.transact_write_items,
            {"TransactItems": actions},
            units,
            units * self.index_copies,
        )

    def delete(
        self, key: Item, old_size: int = 0, condition: str | None = None, values: dict[str, Any] | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": serialize(key)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        units = write_units(old_size)
        self._write("dynamodb.DeleteItem", self.client.delete_item, kwargs, units, units * self.index_copies)

    def query(
        self,
        key_condition: str,
        values: dict[str, Any],
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        start: Item | None = None,
        names: dict[str, str] | None = None,
        consistent: bool = False,
    ) -> tuple[list[Item], Item | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if consistent:
            kwargs["ConsistentRead"] = True
        if index:
            kwargs["IndexName"] = index
        if limit is not None:
            if limit < 1:
                return [], None
            kwargs["Limit"] = limit
        if start:
            kwargs["ExclusiveStartKey"] = serialize(start)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        return self._page("dynamodb.Query", self.client.query, kwargs)

    def query_all(self, key_condition: str, values: dict[str, Any], **kwargs: Any) -> Iterator[Item]:
        start = None
        while True:
            items, start = self.query(key_condition, values, start=start, **kwargs)
            yield from items
            if start is None:
                return

    def scan(self, segment: int = 0, total_segments: int = 1) -> Iterator[Item]:
        """A parallel-scan segment, page by page."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Segment": segment, "TotalSegments": total_segments}
        while True:
            items, last = self._page("dynamodb.Scan", self.client.scan, kwargs)
            yield from items
            if last is None:
                return
            kwargs["ExclusiveStartKey"] = serialize(last)

    def scan_page(
        self,
        limit: int,
        start: Item | None = None,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
        part: tuple[int, int] = (0, 1),
    ) -> tuple[list[Item], Item | None]:
        """One Scan call (of parallel-scan segment ``part`` = (segment, total)): of the next ``limit`` items,
        those matching the filter ``condition``, and the LastEvaluatedKey (None: the segment ends)."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Limit": limit}
        if part != (0, 1):
            kwargs["Segment"], kwargs["TotalSegments"] = part
        if start:
            kwargs["ExclusiveStartKey"] = serialize(start)
        if condition:
            kwargs["FilterExpression"] = condition
        if values:
            kwargs["ExpressionAttributeValues"] = serialize(values)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        return self._page("dynamodb.Scan", self.client.scan, kwargs)

    def _page(self, operation: str, call: Any, kwargs: dict[str, Any]) -> tuple[list[Item], Item | None]:
        """One Query or Scan call, metered and translated: its items and its LastEvaluatedKey (None: the end)."""
        try:
            out = call(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from exc
        self.meter.request(operation)
        last = deserialize(out["LastEvaluatedKey"]) if "LastEvaluatedKey" in out else None
        return [deserialize(i) for i in out.get("Items", [])], last

    def batch_get(self, keys: list[Item]) -> list[Item]:
        found: list[Item] = []
        pending = [serialize(k) for k in keys]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self.name: {"Keys": chunk}}
            for attempt in range(BATCH_ATTEMPTS + 1):
                if not request:
                    break
                if attempt == BATCH_ATTEMPTS:
                    raise Retryable(f"DynamoDB left keys of {self.name} unprocessed {BATCH_ATTEMPTS} times")
                if attempt:
                    self.sleep(backoff(attempt))
                try:
                    out = self.client.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    raise translate(exc) from exc
                self.meter.request("dynamodb.BatchGetItem")
                found.extend(deserialize(i) for i in out.get("Responses", {}).get(self.name, []))
                request = dict(out.get("UnprocessedKeys") or {})
        return found

    def batch_put(self, items: list[Item]) -> None:
        pending = [{"PutRequest": {"Item": serialize(i)}} for i in items]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            units = sum(write_units(item_size(r["PutRequest"]["Item"])) for r in chunk)
            self.meter.request("dynamodb.BatchWriteItem", units * (1 + self.index_copies))
            self._batch_write(chunk)

    def batch_delete(self, keys: list[Item]) -> None:
        pending = [{"DeleteRequest": {"Key": serialize(k)}} for k in keys]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            self.meter.request("dynamodb.BatchWriteItem", len(chunk) * (1 + self.index_copies))
            self._batch_write(chunk)

    def _batch_write(self, chunk: list[dict[str, Any]]) -> None:
        """One BatchWriteItem of up to 25 requests, retrying what comes back unprocessed with backoff."""
        request: dict[str, Any] = {self.name: chunk}
        for attempt in range(BATCH_ATTEMPTS):
            if attempt:
                self.sleep(backoff(attempt))
            try:
                out = self.client.batch_write_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc) from exc
            request = dict(out.get("UnprocessedItems") or {})
            if not request:
                return
        raise Retryable(f"DynamoDB left writes to {self.name} unprocessed {BATCH_ATTEMPTS} times")


PAGE_CALLS = 10  # Scan/Query calls one listing page may make before it answers with what it found
PAGE_READ = 100  # items a listing page's call evaluates at least (DynamoDB filters after reading)
Fetch = Callable[[Item | None, int], tuple[list[Item], Item | None]]


def collect_page(
    fetch: Fetch, limit: int, start: Item | None, key_of: Callable[[Item], Item]
) -> tuple[list[Item], Item | None]:
    """Up to ``limit`` items from ``fetch(start, read)`` calls (each: the matching items of the next ``read``
    evaluated, and where it stopped), and where the next page starts: after the last item returned when a
    call found more than the page holds, else where the last call stopped. At most ``PAGE_CALLS`` calls, so a
    sparse filter answers a short (even empty) page with a next start rather than reading the whole table."""
    found: list[Item] = []
    for _ in range(PAGE_CALLS):
        items, last = fetch(start, max(limit, PAGE_READ))
        for index, item in enumerate(items):
            found.append(item)
            if len(found) == limit:
                more = index < len(items) - 1 or last is not None
                return found, key_of(item) if more else None
        start = last
        if start is None:
            return found, None
    return found, start


def checked_start(start: Any, attrs: tuple[str, ...]) -> Item | None:
    """A page's ``start`` if it is a key of this listing (exactly ``attrs``, non-empty strings); InvalidInput
    otherwise, so a tampered cursor never reaches DynamoDB."""
    if start is None:
        return None
    if (
        not isinstance(start, dict)
        or set(start) != set(attrs)
        or not all(isinstance(v, str) and v for v in start.values())
    ):
        raise bad_cursor()
    return dict(start)
