"""chalicelib.local.moto_sqs: moto's SQS with a cost independent of queue depth, and moto's semantics.

Cost is counted, never timed: how many times a message is inspected (``Message.visible`` /
``Message.delayed``, each a clock read in moto) during one ``SendMessageBatch`` and one ``ReceiveMessage``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message, sqs_backends

from chalicelib.local import moto_sqs

REGION = "us-east-1"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def patched() -> Iterator[None]:
    assert moto_sqs.apply()
    yield
    moto_sqs.revert()


@pytest.fixture
def unpatched() -> Iterator[None]:
    moto_sqs.revert()
    yield
    moto_sqs.revert()


@pytest.fixture
def inspections(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts reads of ``Message.visible`` and ``Message.delayed`` from the moment it is reset."""
    counter = {"n": 0}
    for name in ("visible", "delayed"):
        original = Message.__dict__[name]

        def counted(message: Message, _read: Any = original.fget) -> bool:
            counter["n"] += 1
            return bool(_read(message))

        monkeypatch.setattr(Message, name, property(counted))
    return counter


def backend_queue(name: str) -> Any:
    return sqs_backends["123456789012"][REGION].get_queue(name)


def fill(name: str, depth: int) -> None:
    """``depth`` waiting messages, put straight into moto's queue (filling through the API is what is slow)."""
    queue = backend_queue(name)
    for i in range(depth):
        message = Message(str(uuid.uuid4()), f"standing-{i}")
        message.mark_sent()
        queue.add_message(message)


def one_batch_and_one_receive(sqs: Any, url: str, inspections: dict[str, int]) -> tuple[int, int]:
    inspections["n"] = 0
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"new-{i}"} for i in range(10)])
    sent = inspections["n"]
    inspections["n"] = 0
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    assert len(received) == 10
    return sent, inspections["n"]


def test_without_the_adjustment_a_send_and_a_receive_inspect_every_message(sqs, unpatched, inspections):
    counts = {}
    for depth in (200, 2000):
        url = sqs.create_queue(QueueName=f"deep-{depth}")["QueueUrl"]
        fill(f"deep-{depth}", depth)
        counts[depth] = one_batch_and_one_receive(sqs, url, inspections)
    (send_200, receive_200), (send_2000, receive_2000) = counts[200], counts[2000]
    assert send_2000 > 10 * 2000 and receive_2000 > 10 * 2000  # every message, many times over
    assert send_2000 > 5 * send_200 and receive_2000 > 5 * receive_200  # and it grows with depth


def test_with_the_adjustment_a_send_and_a_receive_inspect_a_bounded_number_of_messages(sqs, patched, inspections):
    for depth in (200, 2000):
        url = sqs.create_queue(QueueName=f"deep-{depth}")["QueueUrl"]
        fill(f"deep-{depth}", depth)
        sent, received = one_batch_and_one_receive(sqs, url, inspections)
        assert sent < 50 and received < 50, (depth, sent, received)


def test_a_delete_stops_at_the_message_it_deletes(sqs, patched, monkeypatch):
    url = sqs.create_queue(QueueName="deletes")["QueueUrl"]
    fill("deletes", 2000)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=30)["Messages"][0]
    checked = {"n": 0}
    original = Message.had_receipt_handle

    def counted(message: Message, handle: str) -> bool:
        checked["n"] += 1
        return original(message, handle)

    monkeypatch.setattr(Message, "had_receipt_handle", counted)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert checked["n"] == 1


# --- semantics, with the adjustment applied -------------------------------------------------------------


def counts(sqs: Any, url: str) -> dict[str, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {name.removeprefix("ApproximateNumberOfMessages") or "visible": int(attrs[name]) for name in names}


def test_in_flight_messages_are_not_received_twice(sqs, patched):
    url = sqs.create_queue(QueueName="in-flight")["QueueUrl"]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        )
    seen: list[str] = []
    for _ in range(4):
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        seen += [m["Body"] for m in out.get("Messages", [])]
    assert sorted(seen) == sorted(f"m{i}" for i in range(30))
    assert counts(sqs, url) == {"visible": 0, "NotVisible": 30, "Delayed": 0}


def test_a_deleted_message_is_gone_and_a_bad_handle_is_refused(sqs, patched):
    url = sqs.create_queue(QueueName="deleted")["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    doomed = next(m for m in received if m["Body"] == "b")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=doomed["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=doomed["ReceiptHandle"])  # again: still a success
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert sorted(m["Body"] for m in again) == ["a", "c"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert counts(sqs, url)["visible"] == 2


def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(sqs, patched):
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    sqs.send_message(QueueUrl=url, MessageBody="fine")
    for _ in range(2):  # received and never deleted, twice
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        fine = next((m for m in out if m["Body"] == "fine"), None)
        if fine:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=fine["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    moved = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]
    assert counts(sqs, url) == {"visible": 0, "NotVisible": 0, "Delayed": 0}


def test_the_approximate_counts_are_still_right(sqs, patched):
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    fill("counted", 25)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert counts(sqs, url) == {"visible": 15, "NotVisible": 10, "Delayed": 1}


def scenario(sqs: Any) -> list[Any]:
    """Everything a client can observe of a standard and a FIFO queue, timestamps and ids left out."""
    observed: list[Any] = []
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "0", "VisibilityTimeout": "40"})["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(i),
                "MessageBody": f"s{i}",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}},
            }
            for i in range(10)
        ],
    )
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=30)
    out = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=4, MessageAttributeNames=["All"], AttributeNames=["All"]
    )
    observed.append(
        [(m["Body"], m["MessageAttributes"], m["Attributes"]["ApproximateReceiveCount"]) for m in out["Messages"]]
    )
    sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(out["Messages"][:2])],
    )
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=out["Messages"][2]["ReceiptHandle"], VisibilityTimeout=0)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    observed.append({k: v for k, v in attributes.items() if not k.endswith(("Timestamp", "Arn"))})
    observed.append(sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]))

    fifo = sqs.create_queue(
        QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for body, group in (("a1", "A"), ("a1", "A"), ("a2", "A"), ("b1", "B")):  # the second a1 is a duplicate
        sqs.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=1, VisibilityTimeout=30)["Messages"]
    observed.append([m["Body"] for m in first])
    observed.append([m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10).get("Messages", [])])
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=first[0]["ReceiptHandle"])
    observed.append([m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10).get("Messages", [])])
    fifo_attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    observed.append({k: v for k, v in fifo_attributes.items() if not k.endswith(("Timestamp", "Arn"))})
    return observed


def test_standard_and_fifo_queues_behave_exactly_as_without_the_adjustment(sqs, unpatched):
    without = scenario(sqs)
    assert moto_sqs.apply()
    assert scenario(sqs) == without
    assert without[3] == ["a1"] and without[4] == ["b1"] and without[5] == ["a2"]  # groups in order, deduplicated


def test_apply_is_idempotent_and_revert_restores_moto(unpatched):
    from moto.sqs.models import Queue

    own = Queue.__dict__["attributes"]
    assert moto_sqs.apply() and moto_sqs.apply() and moto_sqs.applied()
    assert Queue.__dict__["attributes"] is not own
    moto_sqs.revert()
    assert Queue.__dict__["attributes"] is own and not moto_sqs.applied()


def test_an_unexpected_moto_is_left_alone_with_a_warning(unpatched, monkeypatch, caplog):
    import moto
    from moto.sqs.models import Queue

    monkeypatch.setattr(moto, "__version__", "9.0.0")
    own = Queue.__dict__["attributes"]
    with caplog.at_level(logging.WARNING, logger="orbit.local"):
        assert moto_sqs.apply() is False
    assert Queue.__dict__["attributes"] is own
    assert "leaving moto alone" in caplog.text and "9.0.0" in caplog.text
