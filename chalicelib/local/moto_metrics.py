"""SQS's CloudWatch metric ``ApproximateAgeOfOldestMessage``, published for moto's queues as AWS does.

On AWS, SQS publishes each active queue's metrics to CloudWatch about once a minute, among them
``ApproximateAgeOfOldestMessage`` (namespace ``AWS/SQS``, dimension ``QueueName``, unit Seconds): the age
of the oldest message not yet deleted. No queue attribute holds it, so ``SqsQueueStatus`` reads it from
CloudWatch (``oldestAgeSeconds`` in the health check and ``queues status``). moto publishes no SQS metric;
in the embedded AWS (:mod:`chalicelib.local.aws_server`) a daemon thread started by :func:`start` does it
every :data:`INTERVAL` seconds, so the same adapter reads a real age locally.

What :func:`publish` does, for every queue of every account and region moto has:

* finds the age of the oldest message (:func:`oldest_age_seconds`) in moto's own message list, read in
  place (nothing is received, made visible or counted; no lock is taken): messages sit there in the order
  they were sent, so it stops at the first that counts. As on AWS, a message received three times or
  more (a poison message going round again) is passed over for the next oldest, and one past the
  queue's retention period (moto drops those only when a receive comes by) is not counted. An empty queue
  reports 0, as an active queue does on AWS;
* hands the values to moto's CloudWatch backend in-process (``put_metric_data``, no HTTP call, so the
  embedded AWS's change tracker does not count it and no snapshot is taken for it), one datapoint per
  queue stamped with moto's clock;
* drops this metric's datapoints older than :data:`KEEP`: every reader asks for the last few minutes,
  and moto's ``GetMetricStatistics`` goes through every datapoint it holds on each call, so they must not
  pile up over a long ``make run``.

Nothing of this reaches the data folder: snapshots (:mod:`chalicelib.local.persistence`) keep tables and
queued messages only, never CloudWatch. AWS's granularity is one minute (and SQS may report a queue only
after it has been active); locally a value is at most :data:`INTERVAL` seconds old.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

log = logging.getLogger("orbit.local")

NAMESPACE = "AWS/SQS"
METRIC = "ApproximateAgeOfOldestMessage"
DIMENSION = "QueueName"
INTERVAL = 10.0  # seconds between two publications
KEEP = timedelta(minutes=15)  # datapoints of this metric older than this are dropped
POISON_RECEIVES = 3  # AWS: a message received this often stops counting as the oldest


def oldest_age_seconds(queue: Any, now_ms: int) -> float:
    """Age in seconds of the oldest message of a moto ``Queue`` that is still there (0.0: none)."""
    retention_ms = int(getattr(queue, "message_retention_period", 0) or 0) * 1000
    first: Any = None
    for message in queue._messages:  # no lock: a message removed meanwhile may be skipped, no harm done
        sent = message.sent_timestamp
        if sent is None or (retention_ms and now_ms - sent > retention_ms):
            continue
        if message.approximate_receive_count < POISON_RECEIVES:
            first = message
            break
        if first is None:
            first = message  # every message so far went round: the oldest of them, unless a fresh one follows
    if first is None:
        return 0.0
    return max(0.0, (now_ms - int(first.sent_timestamp)) / 1000)


def publish() -> int:
    """Put the age of each moto queue's oldest message into moto's CloudWatch; returns queues reported."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.utils import unix_time_millis, utcnow
    from moto.sqs.models import sqs_backends

    reported = 0
    for account_id, regions in list(dict.items(sqs_backends)):
        for region, backend in list(dict.items(regions)):
            now_ms = int(unix_time_millis())
            data = [
                {
                    "MetricName": METRIC,
                    "Dimensions": [{"Name": DIMENSION, "Value": name}],
                    "Value": oldest_age_seconds(queue, now_ms),
                    "Unit": "Seconds",
                }
                for name, queue in list(backend.queues.items())
            ]
            cloudwatch = cloudwatch_backends[account_id][region]
            if data:
                cloudwatch.put_metric_data(NAMESPACE, data)
                reported += len(data)
            _drop_older_than(cloudwatch, utcnow() - KEEP)
    return reported


def _drop_older_than(cloudwatch: Any, cutoff: Any) -> None:
    """Remove this metric's datapoints stamped before ``cutoff`` (moto's naive UTC) from moto's list.

    By index, from the end: requests may append to the list meanwhile, which moves nothing before them.
    """
    metric_data = cloudwatch.metric_data
    stale = [
        i
        for i, datum in enumerate(list(metric_data))
        if datum.namespace == NAMESPACE and datum.name == METRIC and datum.timestamp < cutoff
    ]
    for i in reversed(stale):
        del metric_data[i]


def start(stopping: threading.Event, interval: float = INTERVAL) -> threading.Thread:
    """Publish now and then every ``interval`` seconds until ``stopping`` is set (a daemon thread)."""

    def run() -> None:
        while True:
            started = time.monotonic()
            try:
                publish()
            except Exception:  # noqa: BLE001 - a metric must never take the embedded AWS down
                log.warning("could not publish the SQS queues' ages to CloudWatch", exc_info=True)
            if stopping.wait(max(0.0, interval - (time.monotonic() - started))):
                return

    thread = threading.Thread(target=run, name="sqs-metrics", daemon=True)
    thread.start()
    return thread
