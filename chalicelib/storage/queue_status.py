"""SQS queue attributes as the ``QueueStatus`` port: waiting, in flight and parked counts per stream.

Reads ``GetQueueAttributes`` only (never receives), so looking changes nothing: no receive count grows, no
message is hidden. SQS keeps the age of the oldest message as a CloudWatch metric
(``ApproximateAgeOfOldestMessage``), not as a queue attribute, so ``oldest_age_seconds`` is None here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Retryable
from chalicelib.messages import Stream
from chalicelib.ports import QueueState
from chalicelib.storage.queue import SqsQueue

WAITING: Final[Literal["ApproximateNumberOfMessages"]] = "ApproximateNumberOfMessages"
IN_FLIGHT: Final[Literal["ApproximateNumberOfMessagesNotVisible"]] = "ApproximateNumberOfMessagesNotVisible"
DELAYED: Final[Literal["ApproximateNumberOfMessagesDelayed"]] = "ApproximateNumberOfMessagesDelayed"


class SqsQueueStatus:
    def __init__(self, queues: Mapping[Stream, SqsQueue], dead_letters: Mapping[Stream, SqsQueue]) -> None:
        self.queues = dict(queues)
        self.dlqs = dict(dead_letters)

    def status(self, stream: Stream) -> QueueState:
        queue = self._counts(self.queues[stream])
        parked = self._counts(self.dlqs[stream])
        return QueueState(
            depth=queue[WAITING] + queue[DELAYED],
            in_flight=queue[IN_FLIGHT],
            oldest_age_seconds=None,
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
