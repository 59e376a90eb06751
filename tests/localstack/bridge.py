"""The task bridge: how the compiled States Language reaches Orbit's real task code on an interpreter without
Lambda. Compiled with ``task_queue_url`` (``chalicelib.workflows.asl``), every task state sends its payload to a
LocalStack SQS queue and waits for its token; this poller, in the test process, runs each payload through the task
function's own entry (``jobs.workflow_task``, on the pinned ports: DynamoDB on moto) and answers the token as
Lambda would: SendTaskSuccess with the result, or SendTaskFailure named by the exception's class, so Retry and
Catch match the same names. A ``park`` payload carries no ``taskToken``: the task code keeps its ``token`` for the
consumer, which resumes it through the ``StateMachines`` port."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import jobs

log = logging.getLogger("orbit.tests.localstack")
TOKEN_GONE = {"InvalidToken", "TaskDoesNotExist", "TaskTimedOut"}  # as ``StepFunctionsMachines.resume`` treats them


class TaskBridge:
    """Polls ``queue_url`` on a thread of its own until ``stop``; ``ran`` lists the actions it ran, in order, and
    ``errors`` what went wrong in the bridge itself (the fixture fails the test on any)."""

    def __init__(self, sqs: Any, sfn: Any, queue_url: str) -> None:
        self.sqs, self.sfn, self.queue_url = sqs, sfn, queue_url
        self.ran: list[str] = []
        self.errors: list[Exception] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="localstack-task-bridge", daemon=True)

    def start(self) -> TaskBridge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _poll(self) -> None:
        while not self._stopping.is_set():
            received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                try:
                    self.answer(json.loads(message["Body"]))
                except Exception as exc:  # keep polling: one broken answer must not stall every journey after it
                    log.exception("the bridge could not answer a task")
                    self.errors.append(exc)

    def answer(self, payload: dict[str, Any]) -> None:
        """Run one task payload and answer its token (a parked payload has none to answer)."""
        token = payload.pop("taskToken", None)
        self.ran.append(str(payload.get("action")))
        try:
            result = jobs.workflow_task(payload)
        except Exception as exc:  # every error goes back to the state machine, by name, as Lambda reports it
            log.info("task %s raised %s", payload.get("action"), type(exc).__name__)
            cause = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__})
            failed = token or payload["token"]  # a park that failed fails its wait, as its invoke would
            self._send(self.sfn.send_task_failure, taskToken=failed, error=type(exc).__name__, cause=cause[:32768])
            return
        if token is not None:
            self._send(self.sfn.send_task_success, taskToken=token, output=json.dumps(result))

    def _send(self, answer: Any, **request: Any) -> None:
        try:
            answer(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in TOKEN_GONE:
                raise
            log.info("a task answer was refused (the token was answered or is gone): %s", exc)
