"""SQS publisher: messages in batches of ten under the 256 KB request limit."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Retryable
from chalicelib.storage.dynamo import METER, Meter

MAX_BATCH_BYTES = 250_000


class SqsQueue:
    def __init__(self, client: Any, queue_name: str, meter: Meter = METER) -> None:
        self.client = client
        self.queue_name = queue_name
        self.meter = meter
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            try:
                self._url = self.client.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
            except (ClientError, BotoCoreError) as exc:
                raise Retryable(f"queue {self.queue_name} is unavailable") from exc
        return self._url

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Send every message or raise Retryable; partial failures are retried once per entry."""
        batch: list[str] = []
        size = 0
        for message in messages:
            body = json.dumps(message, separators=(",", ":"), default=str)
            if batch and (len(batch) == 10 or size + len(body) > MAX_BATCH_BYTES):
                self._send_batch(batch)
                batch, size = [], 0
            batch.append(body)
            size += len(body)
        if batch:
            self._send_batch(batch)

    def _send_batch(self, bodies: list[str]) -> None:
        entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
        for _attempt in range(3):
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
