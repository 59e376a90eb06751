"""chalicelib.local.persistence: capture moto's state, write and read the snapshot, restore it through the APIs;
and aws_server's test of which calls change state."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.local import persistence
from chalicelib.local.aws_server import DEFAULT_ACCOUNT, ChangeTracker

REGION = "us-east-1"
BLOB = bytes(range(256))
ITEMS = [
    {
        "pk": {"S": "x#u-1"},
        "sk": {"S": "profile"},
        "n": {"N": "12.50"},
        "blob": {"B": BLOB},
        "blobs": {"BS": [b"\x00\x01", b"\xff"]},
        "tags": {"SS": ["a", "b"]},
        "nums": {"NS": ["1", "2.5"]},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "nested": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"B": b"\x10"}, {"M": {"deep": {"BOOL": False}}}]}}},
    },
    *({"pk": {"S": f"x#u-{i}"}, "sk": {"S": f"e#{i:03}"}, "n": {"N": str(i)}} for i in range(2, 62)),
]


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION)


def provision(dynamodb: Any, sqs: Any) -> dict[str, str]:
    """Two tables (with and without a sort key), a queue with a dead-letter queue; returns the queue URLs."""
    dynamodb.create_table(
        TableName="things",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName="flat",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})
    work = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    return {"work": work, "work-dlq": dlq}


def fill(dynamodb: Any, sqs: Any, urls: dict[str, str]) -> None:
    for item in ITEMS:
        dynamodb.put_item(TableName="things", Item=item)
    dynamodb.put_item(TableName="flat", Item={"id": {"S": "only"}, "v": {"S": "é ✓"}})
    big = "b" * 100_000
    bodies = [f"body-{i}" for i in range(20)] + [big + "1", big + "2", big + "3"]
    for body in bodies:
        sqs.send_message(
            QueueUrl=urls["work"],
            MessageBody=body,
            MessageAttributes={
                "correlation_id": {"DataType": "String", "StringValue": f"req-{body[-2:]}"},
                "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xfe"},
            },
        )
    sqs.send_message(QueueUrl=urls["work-dlq"], MessageBody="parked")


def in_flight(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        if not out.get("Messages"):
            return messages
        messages += out["Messages"]


def test_capture_reads_every_item_and_message_without_touching_the_queue(aws):
    dynamodb, sqs = aws
    urls = provision(dynamodb, sqs)
    fill(dynamodb, sqs, urls)
    sqs.receive_message(QueueUrl=urls["work"], MaxNumberOfMessages=1, VisibilityTimeout=300)  # one in flight

    snapshot = persistence.capture(DEFAULT_ACCOUNT, REGION)

    assert json.loads(json.dumps(snapshot)) == snapshot  # plain JSON
    assert (snapshot["format"], snapshot["version"]) == (persistence.FORMAT, persistence.VERSION)
    assert persistence.summary(snapshot) == (len(ITEMS) + 1, 24)
    first = next(i for i in snapshot["tables"]["things"] if i["sk"] == {"S": "profile"})
    assert first["blob"] == {"B": base64.b64encode(BLOB).decode()}
    assert first["nested"]["M"]["inner"]["L"][2] == {"B": base64.b64encode(b"\x10").decode()}
    work = snapshot["queues"]["work"]
    assert sorted(m["receiveCount"] for m in work).count(1) == 1  # the in-flight one is kept, counted once
    assert work[0]["messageAttributes"]["raw"] == {
        "DataType": "Binary",
        "BinaryValue": base64.b64encode(b"\x00\xfe").decode(),
    }
    assert in_flight(sqs, urls["work"]) == 1  # capturing made nothing visible or invisible


def test_restore_puts_items_and_messages_back_through_the_apis(aws, tmp_path):
    dynamodb, sqs = aws
    urls = provision(dynamodb, sqs)
    fill(dynamodb, sqs, urls)
    sqs.receive_message(QueueUrl=urls["work"], MaxNumberOfMessages=1, VisibilityTimeout=300)
    persistence.save(tmp_path, persistence.capture(DEFAULT_ACCOUNT, REGION))
    before_items = sorted(dynamodb.scan(TableName="things")["Items"], key=lambda i: i["sk"]["S"])

    for table in ("things", "flat"):  # start over: an empty stage, provisioned again, then restored
        dynamodb.delete_table(TableName=table)
    for url in urls.values():
        sqs.delete_queue(QueueUrl=url)
    urls = provision(dynamodb, sqs)
    restored = persistence.restore(persistence.load(tmp_path), dynamodb, sqs)

    assert (restored.items, restored.messages, restored.skipped) == (len(ITEMS) + 1, 24, [])
    after_items = sorted(dynamodb.scan(TableName="things")["Items"], key=lambda i: i["sk"]["S"])
    assert after_items == before_items  # every type, binary included
    assert dynamodb.get_item(TableName="flat", Key={"id": {"S": "only"}})["Item"]["v"] == {"S": "é ✓"}
    work = drain(sqs, urls["work"])  # the message that was in flight is back, visible
    assert sorted(m["Body"] for m in work if len(m["Body"]) < 10) == sorted(f"body-{i}" for i in range(20))
    assert sorted(m["Body"][-1] for m in work if len(m["Body"]) > 10) == ["1", "2", "3"]
    assert {m["MessageAttributes"]["raw"]["BinaryValue"] for m in work} == {b"\x00\xfe"}
    assert {m["MessageAttributes"]["correlation_id"]["StringValue"] for m in work} >= {"req-19", "req--1"}
    assert [m["Body"] for m in drain(sqs, urls["work-dlq"])] == ["parked"]


def test_restore_skips_what_the_stage_does_not_have(aws):
    dynamodb, sqs = aws
    provision(dynamodb, sqs)
    snapshot = {
        "tables": {"gone": [{"id": {"S": "1"}}], "flat": [{"id": {"S": "kept"}}]},
        "queues": {"gone-queue": [{"body": "x"}], "work": [{"body": "y"}]},
    }
    restored = persistence.restore(snapshot, dynamodb, sqs)
    assert (restored.items, restored.messages, sorted(restored.skipped)) == (1, 1, ["gone", "gone-queue"])


def test_save_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    first = {"format": persistence.FORMAT, "version": persistence.VERSION, "tables": {}, "queues": {"q": []}}
    path = persistence.save(tmp_path / "data", first)
    assert persistence.load(tmp_path / "data") == first

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(persistence.json, "dump", broken)
    with pytest.raises(OSError):
        persistence.save(tmp_path / "data", {**first, "queues": {}})
    assert persistence.load(tmp_path / "data") == first  # the previous snapshot is intact
    assert sorted(os.listdir(tmp_path / "data")) == [path.name]  # and no temporary file is left


def test_load_tells_a_missing_snapshot_from_an_unreadable_one(tmp_path):
    assert persistence.load(tmp_path) is None
    (tmp_path / persistence.SNAPSHOT_FILE).write_text("{not json")
    with pytest.raises(persistence.SnapshotError, match="ORBIT_FRESH=1"):
        persistence.load(tmp_path)
    (tmp_path / persistence.SNAPSHOT_FILE).write_text(json.dumps({"format": "something else"}))
    with pytest.raises(persistence.SnapshotError, match="not an Orbit snapshot"):
        persistence.load(tmp_path)


def test_set_aside_keeps_the_previous_snapshot(tmp_path):
    assert persistence.set_aside(tmp_path) is None
    persistence.save(tmp_path, {"format": persistence.FORMAT, "version": persistence.VERSION})
    previous = persistence.set_aside(tmp_path)
    assert previous == tmp_path / persistence.PREVIOUS_FILE and previous.exists()
    assert persistence.load(tmp_path) is None


@pytest.mark.parametrize(
    ("method", "target", "query", "changes"),
    [
        ("GET", "", "", False),
        ("POST", "DynamoDB_20120810.PutItem", "", True),
        ("POST", "DynamoDB_20120810.BatchWriteItem", "", True),
        ("POST", "DynamoDB_20120810.Query", "", False),
        ("POST", "DynamoDB_20120810.GetItem", "", False),
        ("POST", "AmazonSQS.SendMessageBatch", "", True),
        ("POST", "AmazonSQS.DeleteMessageBatch", "", True),
        ("POST", "AmazonSQS.ReceiveMessage", "", False),
        ("POST", "AmazonSQS.GetQueueAttributes", "", False),
        ("POST", "", "Action=DescribeStacks", False),
        ("POST", "", "Action=CreateStack", True),
        ("POST", "", "", True),  # a form body the tracker does not read: assume it changed something
    ],
)
def test_the_embedded_aws_tells_calls_that_change_state(method, target, query, changes):
    environ = {"REQUEST_METHOD": method, "QUERY_STRING": query}
    if target:
        environ["HTTP_X_AMZ_TARGET"] = target
    assert ChangeTracker.changes(environ) is changes


def test_the_embedded_aws_saves_only_when_armed_and_only_what_changed(aws, tmp_path, monkeypatch):
    from chalicelib.local.aws_server import Snapshots

    _, sqs = aws
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    tracker = ChangeTracker(lambda environ, start_response: [])
    snapshots = Snapshots(tmp_path, REGION, tracker)

    assert snapshots.save("periodic") is False  # not armed: the runtime has not restored yet
    assert persistence.load(tmp_path) is None
    snapshots.armed.set()
    assert snapshots.save("periodic") is True
    assert [m["body"] for m in persistence.load(tmp_path)["queues"]["work"]] == ["kept"]
    assert snapshots.save("periodic") is False  # nothing changed since
    assert snapshots.save("asked", only_if_changed=False) is True

    tracker.changed.set()
    monkeypatch.setattr(persistence, "save", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    assert snapshots.save("periodic") is False
    assert tracker.changed.is_set()  # the next attempt tries again
