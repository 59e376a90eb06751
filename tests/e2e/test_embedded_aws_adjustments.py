"""End to end: the embedded AWS (a child process, as ``make run`` starts it) answers index queries with moto's
semantics through ``chalicelib.local.moto_dynamodb``, and publishes the age of each queue's oldest message to
its CloudWatch (``chalicelib.local.moto_metrics``), where ``SqsQueueStatus`` reads it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.local.aws_server import EmbeddedAws
from chalicelib.storage.queue import SqsQueue
from chalicelib.storage.queue_status import SqsQueueStatus

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedAws]:
    server = EmbeddedAws().start()
    yield server
    server.stop()


def client(server: EmbeddedAws, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_index_queries_follow_every_write(embedded: EmbeddedAws) -> None:
    dynamodb = client(embedded, "dynamodb")
    dynamodb.create_table(
        TableName="people",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "email", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def holders(email: str) -> list[str]:
        out = dynamodb.query(
            TableName="people",
            IndexName="by_email",
            KeyConditionExpression="email = :e",
            ExpressionAttributeValues={":e": {"S": email}},
        )
        return sorted(i["pk"]["S"] for i in out["Items"])

    for i in range(200):
        dynamodb.put_item(TableName="people", Item={"pk": {"S": f"c{i}"}, "email": {"S": f"e{i % 50}@x"}})
    assert holders("e7@x") == ["c107", "c157", "c57", "c7"]
    dynamodb.update_item(
        TableName="people",
        Key={"pk": {"S": "c7"}},
        UpdateExpression="SET email = :e",
        ExpressionAttributeValues={":e": {"S": "new@x"}},
    )
    dynamodb.delete_item(TableName="people", Key={"pk": {"S": "c57"}})
    dynamodb.put_item(TableName="people", Item={"pk": {"S": "c107"}})  # no email: out of the index

    assert holders("e7@x") == ["c157"]
    assert holders("new@x") == ["c7"]


def test_the_queue_status_reads_the_age_of_the_oldest_message(embedded: EmbeddedAws) -> None:
    sqs = client(embedded, "sqs")
    for name in ("work", "work-dlq"):
        sqs.create_queue(QueueName=name)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="work")["QueueUrl"], MessageBody="waiting")
    cloudwatch = client(embedded, "cloudwatch")
    status = SqsQueueStatus(
        {"events": SqsQueue(sqs, "work")}, {"events": SqsQueue(sqs, "work-dlq")}, cloudwatch=lambda: cloudwatch
    )

    deadline = time.monotonic() + 30  # the child publishes every 10 s
    state = status.status("events")
    while state.oldest_age_seconds is None and time.monotonic() < deadline:
        time.sleep(0.5)
        state = status.status("events")

    assert state.depth == 1
    assert state.oldest_age_seconds is not None and 0 <= state.oldest_age_seconds < 60
