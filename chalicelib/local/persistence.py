"""Snapshots of the embedded AWS: what ``make run`` keeps in its data folder between runs.

Two halves, in two processes:

* :func:`capture` runs where moto runs (``chalicelib.local.aws_server``): it reads moto's backends
  directly, so taking a snapshot changes nothing, not even a message's visibility or receive count.
  :func:`save` writes it atomically (a temporary file in the same folder, fsynced, then renamed), so a
  crash mid-write leaves the previous snapshot whole.
* :func:`load` and :func:`restore` run in the runtime, after the stage was provisioned from ``infra/``
  through CloudFormation as on any start: items go back with ``BatchWriteItem``, queued messages with
  ``SendMessageBatch`` (bodies and message attributes as sent), all before the queue pollers start.

The format is one JSON document, ``<data dir>/snapshot.json``::

    {"format": "orbit-local-snapshot", "version": 1, "savedAt": "2026-11-27T12:00:00+00:00",
     "moto": "5.2.5", "account": "123456789012", "region": "us-east-1",
     "tables": {"orbit-local-contacts": [{"pk": {"S": "x#u-1"}, ...}, ...], ...},
     "queues": {"orbit-local-events": [{"body": "...", "messageAttributes": {...}, "receiveCount": 1}, ...]}}

Why this format: items are DynamoDB JSON, the wire format itself, so every type survives unchanged
(numbers as their decimal strings, binary as base64, sets, nested maps and lists) and restoring is
the ordinary API call. Only data is kept, never moto's objects: a pickle of moto's backends would break
with the next moto release and drag locks and threads along; tables, indexes and queues come from
``infra/`` on every start anyway. JSON needs nothing beyond the standard library and can be read,
diffed or edited by hand. The folder is a developer's convenience, not a database: at the sizes a
laptop run reaches, rewriting one file every 30 s is cheap.

What is not kept: a restored message is sent anew, so its receive count starts again at zero (the
snapshot records it, for inspection), it is visible at once, and its message id is new; Step Functions
executions, CloudFormation stacks and anything else moto holds are rebuilt or started afresh.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("orbit.local")

FORMAT = "orbit-local-snapshot"
VERSION = 1
SNAPSHOT_FILE = "snapshot.json"
PREVIOUS_FILE = "snapshot.previous.json"  # where ORBIT_FRESH=1 moves the last snapshot
MAX_BATCH_BYTES = 250_000  # SendMessageBatch's 256 KiB request limit, with room for attributes


class SnapshotError(Exception):
    """The data folder holds a snapshot this runtime cannot read."""


@dataclass
class Restored:
    items: int = 0
    messages: int = 0
    skipped: list[str] = field(default_factory=list)  # tables or queues the snapshot names but the stage lacks


# --- capture (in the process that runs moto) -------------------------------------------------------------


def capture(account_id: str, region: str) -> dict[str, Any]:
    """The tables' items and the queues' messages of one moto account and region, as JSON-ready data."""
    import moto
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    tables = {
        name: [_item_json(i) for i in _table_items(t)]
        for name, t in sorted(_stable(dynamodb_backends[account_id][region].tables))
    }
    queues = {
        name: [_message_json(m) for m in list(q._messages)]
        for name, q in sorted(_stable(sqs_backends[account_id][region].queues))
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "moto": getattr(moto, "__version__", "?"),
        "account": account_id,
        "region": region,
        "tables": tables,
        "queues": queues,
    }


def _stable(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    """A copy of a dict other threads may be changing (moto serves requests while a periodic snapshot runs)."""
    for _ in range(100):
        try:
            return list(mapping.items())
        except RuntimeError:  # "dictionary changed size during iteration"
            time.sleep(0.01)
    raise RuntimeError("moto's state kept changing while it was being read")


def _table_items(table: Any) -> list[Any]:
    """moto keeps ``items`` as {hash: item} or, with a sort key, {hash: {range: item}}."""
    items: list[Any] = []
    for _, stored in _stable(table.items):
        if table.range_key_attr:
            items += [item for _, item in _stable(stored)]
        else:
            items.append(stored)
    return items


def _item_json(item: Any) -> dict[str, Any]:
    return {name: _attribute_json(value) for name, value in item.attrs.items()}


def _attribute_json(value: Any) -> dict[str, Any]:
    """A moto ``DynamoType`` as DynamoDB JSON (binary as base64, as on the wire)."""
    kind, raw = value.type, value.value
    if kind == "M":
        return {"M": {k: _attribute_json(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_attribute_json(v) for v in raw]}
    if kind == "B":
        return {"B": _base64(raw)}
    if kind == "BS":
        return {"BS": [_base64(v) for v in raw]}
    if kind in ("SS", "NS"):
        return {kind: list(raw)}
    return {kind: raw}


def _base64(raw: bytes | str) -> str:
    return base64.b64encode(raw).decode("ascii") if isinstance(raw, bytes) else raw  # moto keeps wire base64


def _message_json(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"body": message.body, "receiveCount": message.approximate_receive_count}
    attributes = {
        name: {
            key: _base64(v) if key == "BinaryValue" else v
            for key, v in attribute.items()
            if key in ("DataType", "StringValue", "BinaryValue")
        }
        for name, attribute in (message.message_attributes or {}).items()
    }
    if attributes:
        out["messageAttributes"] = attributes
    if message.group_id is not None:
        out["groupId"] = message.group_id
    if message.deduplication_id is not None:
        out["deduplicationId"] = message.deduplication_id
    return out


def summary(snapshot: dict[str, Any]) -> tuple[int, int]:
    """(items, messages) a snapshot holds."""
    items = sum(len(rows) for rows in snapshot.get("tables", {}).values())
    messages = sum(len(rows) for rows in snapshot.get("queues", {}).values())
    return items, messages


# --- the file ----------------------------------------------------------------------------------------------


def save(data_dir: Path, snapshot: dict[str, Any]) -> Path:
    """Write ``snapshot.json`` atomically: a reader sees the old file or the new one, never a part."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / SNAPSHOT_FILE
    temporary = data_dir / f".{SNAPSHOT_FILE}.{os.getpid()}.tmp"
    try:
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(snapshot, out, separators=(",", ":"), ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(data_dir)
    return target


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not every file system syncs directories
    finally:
        os.close(fd)


def load(data_dir: Path) -> dict[str, Any] | None:
    """The saved snapshot, or None when the folder has none; SnapshotError when it cannot be read."""
    path = data_dir / SNAPSHOT_FILE
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc}") from exc
    try:
        snapshot = json.loads(raw)
    except ValueError as exc:
        raise SnapshotError(f"{path} is not valid JSON ({exc}); move it away or start with ORBIT_FRESH=1") from exc
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not an Orbit snapshot; move it away or start with ORBIT_FRESH=1")
    if snapshot.get("version") != VERSION:
        raise SnapshotError(f"{path} has snapshot version {snapshot.get('version')}; this Orbit reads {VERSION}")
    return snapshot


def set_aside(data_dir: Path) -> Path | None:
    """Move the saved snapshot to ``snapshot.previous.json`` (ORBIT_FRESH=1 starts empty, losing nothing)."""
    path = data_dir / SNAPSHOT_FILE
    if not path.exists():
        return None
    previous = data_dir / PREVIOUS_FILE
    os.replace(path, previous)
    return previous


# --- restore (in the runtime, through the ordinary APIs) ---------------------------------------------------


def restore(snapshot: dict[str, Any], dynamodb: DynamoDBClient, sqs: SQSClient) -> Restored:
    """Put a snapshot's items and messages back into the provisioned stage."""
    restored = Restored()
    for table, items in snapshot.get("tables", {}).items():
        if items and _table_exists(dynamodb, table):
            _put_items(dynamodb, table, items)
            restored.items += len(items)
        elif items:
            restored.skipped.append(table)
    for queue, messages in snapshot.get("queues", {}).items():
        url = _queue_url(sqs, queue) if messages else None
        if url:
            _send_messages(sqs, url, messages)
            restored.messages += len(messages)
        elif messages:
            restored.skipped.append(queue)
    for name in restored.skipped:
        log.warning("the snapshot holds data for %s, which this stage does not have; not restored", name)
    return restored


def _table_exists(dynamodb: DynamoDBClient, table: str) -> bool:
    try:
        dynamodb.describe_table(TableName=table)
    except dynamodb.exceptions.ResourceNotFoundException:
        return False
    return True


def _queue_url(sqs: SQSClient, queue: str) -> str | None:
    try:
        return sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return None


def _put_items(dynamodb: DynamoDBClient, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        requests: list[Any] = [{"PutRequest": {"Item": _boto_item(item)}} for item in items[start : start + 25]]
        for attempt in range(10):
            out = dynamodb.batch_write_item(RequestItems={table: requests})
            requests = list(out.get("UnprocessedItems", {}).get(table, []))
            if not requests:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"could not restore {len(requests)} items into {table}")


def _boto_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _boto_value(value) for name, value in item.items()}


def _boto_value(value: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON (binary as base64 text) to what boto3's client takes (binary as bytes)."""
    ((kind, raw),) = value.items()
    if kind == "M":
        return {"M": {k: _boto_value(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_boto_value(v) for v in raw]}
    if kind == "B":
        return {"B": base64.b64decode(raw)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in raw]}
    return {kind: raw}


def _send_messages(sqs: SQSClient, url: str, messages: list[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    size = 0
    for message in messages:
        length = len(message["body"].encode("utf-8"))
        if batch and (len(batch) == 10 or size + length > MAX_BATCH_BYTES):
            _send_batch(sqs, url, batch)
            batch, size = [], 0
        batch.append(message)
        size += length
    if batch:
        _send_batch(sqs, url, batch)


def _send_batch(sqs: SQSClient, url: str, messages: list[dict[str, Any]]) -> None:
    entries: list[Any] = [_entry(str(i), m) for i, m in enumerate(messages)]
    for attempt in range(5):
        out = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        failed = {f["Id"]: f for f in out.get("Failed", [])}
        entries = [e for e in entries if e["Id"] in failed]
        if not entries:
            return
        if any(f.get("SenderFault") for f in failed.values()):
            raise RuntimeError(f"SQS refused restored messages: {list(failed.values())}")
        time.sleep(0.05 * 2**attempt)
    raise RuntimeError(f"could not restore {len(entries)} messages into {url}")


def _entry(entry_id: str, message: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["body"]}
    attributes = message.get("messageAttributes") or {}
    if attributes:
        entry["MessageAttributes"] = {
            name: {k: base64.b64decode(v) if k == "BinaryValue" else v for k, v in attribute.items()}
            for name, attribute in attributes.items()
        }
    if message.get("groupId") is not None:
        entry["MessageGroupId"] = message["groupId"]
    if message.get("deduplicationId") is not None:
        entry["MessageDeduplicationId"] = message["deduplicationId"]
    return entry
