"""SQS dead-letter queues as the ``DeadLetters`` port: park with a reason, peek without consuming, redrive.

Peeking receives with a short visibility timeout and makes each message visible again at once; a redrive
sends each body back to its stream's queue (keeping its message attributes, dropping the reason) and deletes
it from the dead-letter queue only after the send succeeded, so a crash mid-redrive can duplicate a message
(which the consumer dedupes) but never lose one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Retryable
from chalicelib.messages import DeadLetter, Stream
from chalicelib.storage.queue import SqsQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

REASON = "reason"  # the message attribute holding why the consumer parked a body
PEEK_SECONDS = 5


class SqsDeadLetters:
    def __init__(self, queues: Mapping[Stream, SqsQueue], dead_letters: Mapping[Stream, SqsQueue]) -> None:
        self.queues = dict(queues)
        self.dlqs = dict(dead_letters)

    def park(self, stream: Stream, body: str, reason: str) -> None:
        self.dlqs[stream].send_bodies([body], {REASON: reason})

    def peek(self, stream: Stream, limit: int) -> list[DeadLetter]:
        dlq = self.dlqs[stream]
        seen: dict[str, MessageTypeDef] = {}
        try:
            while len(seen) < limit:
                batch = self._receive(dlq, min(10, limit - len(seen)), PEEK_SECONDS)
                fresh = [m for m in batch if m["MessageId"] not in seen]
                seen.update((m["MessageId"], m) for m in fresh)
                if not fresh:
                    break
        finally:
            for message in seen.values():  # visible again: peeking consumes nothing
                self._call(
                    dlq.client.change_message_visibility,
                    QueueUrl=dlq.url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
        letters = [_letter(m) for m in seen.values()]
        return sorted(letters, key=lambda letter: letter.sent_at)

    def redrive(self, stream: Stream, limit: int) -> int:
        dlq, queue = self.dlqs[stream], self.queues[stream]
        moved = 0
        while moved < limit:
            batch = self._receive(dlq, min(10, limit - moved), 60)
            if not batch:
                break
            for message in batch:
                attributes = {
                    name: str(value.get("StringValue", ""))
                    for name, value in message.get("MessageAttributes", {}).items()
                    if name != REASON and value.get("DataType") == "String"
                }
                queue.send_bodies([message["Body"]], attributes)
                self._call(dlq.client.delete_message, QueueUrl=dlq.url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        return moved

    def _receive(self, dlq: SqsQueue, count: int, visibility: int) -> list[MessageTypeDef]:
        out = self._call(
            dlq.client.receive_message,
            QueueUrl=dlq.url,
            MaxNumberOfMessages=count,
            VisibilityTimeout=visibility,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[MessageTypeDef] = out.get("Messages", [])
        return messages

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise Retryable(f"the dead-letter queue is unavailable: {exc}") from exc


def _letter(message: MessageTypeDef) -> DeadLetter:
    attributes = message.get("Attributes", {})
    found = message.get("MessageAttributes", {}).get(REASON)
    reason = found.get("StringValue") if found else None
    sent_ms = int(attributes.get("SentTimestamp", "0"))
    return DeadLetter(
        message_id=message["MessageId"],
        body=message["Body"],
        reason=reason,
        receive_count=int(attributes.get("ApproximateReceiveCount", "0")),
        sent_at=datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat(),
    )
