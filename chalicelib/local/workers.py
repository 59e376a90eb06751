"""Local stand-ins for Lambda's event sources: SQS pollers and a schedule ticker.

They call the very handlers Chalice deploys (``app.handler_map``), with events shaped like
Lambda's, and honour partial batch failures the way the SQS event source mapping does.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice, Rate, ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger("orbit.local")


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=900_000)


class SqsPoller(threading.Thread):
    """Long-polls one queue into one ``on_sqs_message`` handler."""

    def __init__(self, app: Chalice, source: SQSEventConfig, sqs: SQSClient, region: str) -> None:
        super().__init__(name=f"poll-{source.name}", daemon=True)
        self.handler = app.handler_map[source.name]
        self.source = source
        self.sqs = sqs
        self.region = region
        self.stopping = threading.Event()
        self.idle = threading.Event()
        self.last_poll: float | None = None  # time.time() of the last answered receive (/health shows it)
        if not source.queue:
            raise ValueError(f"{source.name} names its queue by ARN; the local runtime needs a queue name")
        self.url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                log.exception("poller %s failed; retrying", self.source.name)
                time.sleep(1)

    def _receive(self, wait_seconds: int) -> list[MessageTypeDef]:
        """Gather up to the handler's batch size (SQS returns at most 10 per receive)."""
        messages: list[MessageTypeDef] = []
        while len(messages) < self.source.batch_size:
            out = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(self.source.batch_size - len(messages), 10),
                WaitTimeSeconds=wait_seconds if not messages else 0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = out.get("Messages", [])
            messages += received
            if len(received) < 10:
                break
        return messages

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self._receive(wait_seconds)
        self.last_poll = time.time()
        if not messages:
            self.idle.set()
            return 0
        self.idle.clear()
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self.handler(event, _context(self.source.name)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            log.exception("handler %s raised; the whole batch will retry", self.source.name)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for message in messages:
            if message["MessageId"] in failed:
                receives = int(message["Attributes"].get("ApproximateReceiveCount", "1"))
                self.sqs.change_message_visibility(
                    QueueUrl=self.url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=min(2**receives, 30),
                )
        return len(messages)

    def _record(self, message: MessageTypeDef) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {  # Lambda's shape: lower-camel keys
                name: {"stringValue": a.get("StringValue"), "dataType": a["DataType"]}
                for name, a in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.region,
        }


_UNIT_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}


class Scheduler(threading.Thread):
    """Ticks every ``@app.schedule(Rate(...))`` handler at its rate, sped up by ``time_scale``."""

    def __init__(self, app: Chalice, time_scale: float = 1.0) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.app = app
        self.stopping = threading.Event()
        self.jobs: list[tuple[ScheduledEventConfig, float]] = []
        for source in app.event_sources:
            if isinstance(source, ScheduledEventConfig) and isinstance(source.schedule_expression, Rate):
                rate = source.schedule_expression
                self.jobs.append((source, rate.value * _UNIT_SECONDS[rate.unit] / time_scale))
            elif isinstance(source, ScheduledEventConfig):
                log.warning("schedule %s uses cron; the local runtime ticks it hourly", source.name)
                self.jobs.append((source, 3600 / time_scale))
        self.ticks: dict[str, int] = {}

    def run(self) -> None:
        due = {source.name: time.monotonic() + period for source, period in self.jobs}
        while not self.stopping.wait(0.5):
            for source, period in self.jobs:
                if time.monotonic() >= due[source.name]:
                    due[source.name] = time.monotonic() + period
                    self.tick(source)

    def tick(self, source: ScheduledEventConfig) -> Any:
        event = {
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "resources": [f"arn:aws:events:local:000000000000:rule/{source.name}"],
            "detail": {},
        }
        self.ticks[source.name] = self.ticks.get(source.name, 0) + 1
        try:
            return self.app.handler_map[source.name](event, _context(source.name))
        except Exception:
            log.exception("scheduled %s failed", source.name)
            return None
