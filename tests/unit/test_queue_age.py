"""The age of the oldest queued message: ``SqsQueueStatus`` reads SQS's CloudWatch metric
``ApproximateAgeOfOldestMessage``, and ``chalicelib.local.moto_metrics`` publishes it for moto's queues as
SQS does on AWS (both on moto, in this process)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.cloudwatch.models import cloudwatch_backends
from moto.sqs.models import Message, sqs_backends

from chalicelib import aws
from chalicelib.local import moto_metrics
from chalicelib.local.aws_server import DEFAULT_ACCOUNT
from chalicelib.ports import Ports
from chalicelib.storage.queue_status import AGE_METRIC, AGE_NAMESPACE, SqsQueueStatus

REGION = "us-east-1"


def reading(stores: Ports, cloudwatch: Any = None) -> SqsQueueStatus:
    """The stage's queue status, reading CloudWatch through ``cloudwatch`` (default: the cached client)."""
    current = stores.queue_status
    assert isinstance(current, SqsQueueStatus)
    client = cloudwatch or aws.cloudwatch()
    return SqsQueueStatus(current.queues, current.dlqs, cloudwatch=lambda: client)


def publish_age(queue: str, seconds: float, ago: timedelta, metric: str = AGE_METRIC) -> None:
    aws.cloudwatch().put_metric_data(
        Namespace=AGE_NAMESPACE,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "QueueName", "Value": queue}],
                "Value": seconds,
                "Unit": "Seconds",
                "Timestamp": datetime.now(UTC) - ago,
            }
        ],
    )


# --- the adapter ----------------------------------------------------------------------------------------


def test_the_age_is_the_newest_datapoint_of_the_queue_metric(stores: Ports) -> None:
    events = stores.settings.events_queue
    publish_age(events, 40, ago=timedelta(minutes=3))
    publish_age(events, 95, ago=timedelta(minutes=2, seconds=50))  # same minute: its Maximum counts
    publish_age(events, 12, ago=timedelta(seconds=20))
    publish_age(stores.settings.imports_queue, 700, ago=timedelta(seconds=20))  # another queue
    publish_age(events, 999, ago=timedelta(seconds=20), metric="NumberOfMessagesSent")  # another metric

    status = reading(stores)

    assert status.status("events").oldest_age_seconds == 12.0
    assert status.status("imports").oldest_age_seconds == 700.0


def test_no_recent_datapoint_is_no_age(stores: Ports) -> None:
    publish_age(stores.settings.events_queue, 40, ago=timedelta(minutes=7))  # older than the five minutes read

    status = reading(stores)

    assert status.status("events").oldest_age_seconds is None
    assert status.status("imports").oldest_age_seconds is None


def test_without_a_cloudwatch_client_the_age_is_unknown(stores: Ports) -> None:
    publish_age(stores.settings.events_queue, 40, ago=timedelta(seconds=20))
    current = stores.queue_status
    assert isinstance(current, SqsQueueStatus)

    assert SqsQueueStatus(current.queues, current.dlqs).status("events").oldest_age_seconds is None


def test_a_cloudwatch_error_leaves_the_age_unknown_and_the_counts_intact(
    stores: Ports, caplog: pytest.LogCaptureFixture
) -> None:
    sqs = aws.sqs()
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=stores.settings.events_queue)["QueueUrl"], MessageBody="{}")
    broken = boto3.client("cloudwatch", region_name=REGION)
    stubber = Stubber(broken)
    stubber.add_client_error("get_metric_statistics", "AccessDenied", "not allowed", 403)
    stubber.activate()

    with caplog.at_level(logging.DEBUG, logger="orbit.queues"):
        state = reading(stores, broken).status("events")

    assert state.oldest_age_seconds is None
    assert (state.depth, state.in_flight) == (1, 0)
    assert "AccessDenied" in caplog.text


# --- the emulation (moto_metrics) --------------------------------------------------------------------------


def moto_queue(name: str) -> Any:
    return sqs_backends[DEFAULT_ACCOUNT][REGION].get_queue(name)


def put(queue: Any, sent_ms: int, receives: int = 0) -> Message:
    message = Message(str(uuid.uuid4()), "body")
    message.mark_sent()
    message.sent_timestamp = sent_ms
    message.approximate_receive_count = receives
    queue.add_message(message)
    return message


def test_the_oldest_message_still_there_gives_the_age(stores: Ports) -> None:
    queue = moto_queue(stores.settings.events_queue)
    now = 1_000_000_000

    assert moto_metrics.oldest_age_seconds(queue, now) == 0.0  # empty: 0, as an active queue on AWS
    put(queue, now - 90_000)
    put(queue, now - 30_000)
    assert moto_metrics.oldest_age_seconds(queue, now) == 90.0


def test_messages_received_three_times_give_way_to_the_next_oldest(stores: Ports) -> None:
    queue = moto_queue(stores.settings.events_queue)
    now = 1_000_000_000
    put(queue, now - 300_000, receives=3)
    put(queue, now - 200_000, receives=5)

    assert moto_metrics.oldest_age_seconds(queue, now) == 300.0  # only poison: the oldest of them
    put(queue, now - 60_000, receives=2)
    assert moto_metrics.oldest_age_seconds(queue, now) == 60.0


def test_messages_past_the_retention_period_do_not_count(stores: Ports) -> None:
    queue = moto_queue(stores.settings.events_queue)
    retention_ms = int(queue.message_retention_period) * 1000
    now = 10 * retention_ms
    put(queue, now - retention_ms - 1)
    put(queue, now - 5_000)

    assert moto_metrics.oldest_age_seconds(queue, now) == 5.0


def test_deleted_messages_do_not_count(stores: Ports) -> None:
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=stores.settings.events_queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    queue = moto_queue(stores.settings.events_queue)
    put(queue, int(queue._messages[0].sent_timestamp) + 4_000)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])

    assert moto_metrics.oldest_age_seconds(queue, int(queue._messages[0].sent_timestamp) + 10_000) == 10.0


def test_publish_reports_every_queue_and_the_adapter_reads_it(stores: Ports) -> None:
    events = moto_queue(stores.settings.events_queue)
    put(events, int(datetime.now(UTC).timestamp() * 1000) - 120_000)

    reported = moto_metrics.publish()

    assert reported == len(sqs_backends[DEFAULT_ACCOUNT][REGION].queues) >= 4  # the queues and their DLQs
    backend = cloudwatch_backends[DEFAULT_ACCOUNT][REGION]
    datum = next(d for d in backend.metric_data if d.dimensions[0].value == stores.settings.events_queue)
    assert (datum.namespace, datum.name, datum.unit) == (AGE_NAMESPACE, AGE_METRIC, "Seconds")
    for d in backend.metric_data:  # moto stamps them now; the adapter reads up to the whole second before
        d.timestamp -= timedelta(seconds=2)
    status = reading(stores)
    age = status.status("events").oldest_age_seconds
    assert age is not None and 120 <= age < 130
    assert status.status("imports").oldest_age_seconds == 0.0


def test_publish_drops_its_old_datapoints_and_keeps_everything_else(stores: Ports) -> None:
    backend = cloudwatch_backends[DEFAULT_ACCOUNT][REGION]
    moto_metrics.publish()
    first_round = len(backend.metric_data)
    for d in backend.metric_data:
        d.timestamp -= moto_metrics.KEEP + timedelta(seconds=1)
    publish_age("someone-elses", 5, ago=moto_metrics.KEEP * 2, metric="Other")

    moto_metrics.publish()

    assert len(backend.metric_data) == first_round + 1  # this round's, and the other metric
    assert sum(d.name == "Other" for d in backend.metric_data) == 1


def test_the_publisher_thread_stops_when_asked(stores: Ports) -> None:
    import threading

    stopping = threading.Event()
    thread = moto_metrics.start(stopping, interval=0.05)
    stopping.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert cloudwatch_backends[DEFAULT_ACCOUNT][REGION].metric_data  # it published before stopping
