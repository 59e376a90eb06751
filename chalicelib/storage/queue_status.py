"""SQS queue attributes as the ``QueueStatus`` port: waiting, in flight and parked counts per stream, and the
age of the oldest waiting message.

Reads ``GetQueueAttributes`` only (never receives), so looking changes nothing: no receive count grows, no
message is hidden. SQS keeps the age of the oldest message as a CloudWatch metric, not as a queue attribute:
``ApproximateAgeOfOldestMessage`` (namespace ``AWS/SQS``, dimension ``QueueName``), published about once a
minute for an active queue. ``oldest_age_seconds`` is the Maximum of its newest one-minute datapoint within
the last five minutes (``GetMetricStatistics``), so it can lag the queue by a minute or two; None when
CloudWatch has no datapoint (a queue idle for hours, a fresh stage, moto without the embedded AWS's
emulation, :mod:`chalicelib.local.moto_metrics`) or cannot be read: the counts still matter then, so a
CloudWatch error is logged at debug level and never fails the status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Retryable
from chalicelib.messages import Stream
from chalicelib.ports import QueueState
from chalicelib.storage.queue import SqsQueue

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

log = logging.getLogger("orbit.queues")

WAITING: Final[Literal["ApproximateNumberOfMessages"]] = "ApproximateNumberOfMessages"
IN_FLIGHT: Final[Literal["ApproximateNumberOfMessagesNotVisible"]] = "ApproximateNumberOfMessagesNotVisible"
DELAYED: Final[Literal["ApproximateNumberOfMessagesDelayed"]] = "ApproximateNumberOfMessagesDelayed"
AGE_NAMESPACE: Final = "AWS/SQS"
AGE_METRIC: Final = "ApproximateAgeOfOldestMessage"
AGE_WINDOW: Final = timedelta(minutes=5)  # how far back a datapoint still counts
AGE_PERIOD: Final = 60  # seconds: SQS's own granularity


class SqsQueueStatus:
    def __init__(
        self,
        queues: Mapping[Stream, SqsQueue],
        dead_letters: Mapping[Stream, SqsQueue],
        cloudwatch: Callable[[], CloudWatchClient] | None = None,
    ) -> None:
        """``cloudwatch``: makes (or returns the cached) CloudWatch client, on the first status read, so a
        function that never reads one never builds it; None: ``oldest_age_seconds`` is always None."""
        self.queues = dict(queues)
        self.dlqs = dict(dead_letters)
        self.cloudwatch = cloudwatch

    def status(self, stream: Stream) -> QueueState:
        queue = self._counts(self.queues[stream])
        parked = self._counts(self.dlqs[stream])
        return QueueState(
            depth=queue[WAITING] + queue[DELAYED],
            in_flight=queue[IN_FLIGHT],
            oldest_age_seconds=self._oldest_age(self.queues[stream].queue_name),
            dead_letters=parked[WAITING] + parked[IN_FLIGHT] + parked[DELAYED],
        )

    @staticmethod
    def _counts(queue: SqsQueue) -> dict[str, int]:
        try:
            out = queue.client.get_queue_attributes(QueueUrl=queue.url, AttributeNames=[WAITING, IN_FLIGHT, DELAYED])
        except (ClientError, BotoCoreError) as exc:
            raise Retryable(f"queue {queue.queue_name} is unavailable: {exc}") from exc
        attributes = out.get("Attributes", {})
        return {name: int(attributes.get(name, "0")) for name in (WAITING, IN_FLIGHT, DELAYED)}

    def _oldest_age(self, queue_name: str) -> float | None:
        """The newest datapoint's Maximum of the queue's ``ApproximateAgeOfOldestMessage``, or None."""
        if self.cloudwatch is None:
            return None
        end = datetime.now(UTC)
        try:
            out = self.cloudwatch().get_metric_statistics(
                Namespace=AGE_NAMESPACE,
                MetricName=AGE_METRIC,
                Dimensions=[{"Name": "QueueName", "Value": queue_name}],
                StartTime=end - AGE_WINDOW,
                EndTime=end,
                Period=AGE_PERIOD,
                Statistics=["Maximum"],
            )
        except (ClientError, BotoCoreError) as exc:
            log.debug("no age of the oldest message of %s from CloudWatch: %s", queue_name, exc)
            return None
        points = [p for p in out.get("Datapoints", []) if "Maximum" in p and "Timestamp" in p]
        if not points:
            return None
        return float(max(points, key=lambda p: p["Timestamp"])["Maximum"])
