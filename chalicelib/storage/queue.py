"""SQS adapters: a queue that sends bodies in batches of ten under the 256 KB request limit, and the
``Publisher`` port, which sends each message to its stream's queue."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import logs
from chalicelib.errors import Retryable
from chalicelib.messages import QueueMessage, Stream
from chalicelib.storage.dynamo import backoff
from chalicelib.storage.items import METER, Meter

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_BYTES = 250_000
SEND_ATTEMPTS = 3


class SqsQueue:
    def __init__(
        self, client: SQSClient, queue_name: str, meter: Meter = METER, sleep: Callable[[float], None] | None = None
    ) -> None:
        self.client = client
        self.queue_name = queue_name
        self.meter = meter
        self.sleep = sleep
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            try:
                self._url = self.client.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
            except (ClientError, BotoCoreError) as exc:
                raise Retryable(f"queue {self.queue_name} is unavailable") from exc
        return self._url

    def send_bodies(self, bodies: Sequence[str], attributes: Mapping[str, str] | None = None) -> None:
        """Send every body (with string message ``attributes``) or raise Retryable; entries SQS refuses are
        retried with backoff."""
        batch: list[str] = []
        size = 0
        for body in bodies:
            if batch and (len(batch) == 10 or size + len(body) > MAX_BATCH_BYTES):
                self._send_batch(batch, attributes)
                batch, size = [], 0
            batch.append(body)
            size += len(body)
        if batch:
            self._send_batch(batch, attributes)

    def _send_batch(self, bodies: list[str], attributes: Mapping[str, str] | None) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)
        ]
        values = dict(attributes or {})
        correlation = logs.correlation_id()
        if correlation:  # the request that queued these, for the consumer's logs
            values.setdefault(logs.CORRELATION_ID, correlation)
        for entry in entries:
            if values:
                entry["MessageAttributes"] = {
                    name: {"DataType": "String", "StringValue": value[:1000]} for name, value in values.items()
                }
        for attempt in range(SEND_ATTEMPTS):
            if attempt and self.sleep is not None:
                self.sleep(backoff(attempt))
            self.meter.request("sqs.SendMessageBatch")
            try:
                out = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise Retryable("could not queue the messages; retry the request") from exc
            failed = {f["Id"] for f in out.get("Failed", [])}
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                return
        raise Retryable("could not queue every message; retry the request")


class SqsPublisher:
    """Publishes messages, in order, each to the queue of its stream."""

    def __init__(self, queues: Mapping[Stream, SqsQueue]) -> None:
        self.queues = dict(queues)

    def publish(self, messages: Sequence[QueueMessage]) -> None:
        by_stream: dict[Stream, list[str]] = {}
        for message in messages:
            by_stream.setdefault(message.stream, []).append(message.body())
        for stream, bodies in by_stream.items():
            self.queues[stream].send_bodies(bodies)
