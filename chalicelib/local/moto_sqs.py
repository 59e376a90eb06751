"""Make moto's SQS cost independent of queue depth (the embedded runtime's queues; never used on AWS).

What moto 5.2 does (``moto/sqs/models.py``):

* ``Queue.attributes`` is a property that builds a fresh dict of *every* attribute on each read,
  including the three approximate counts. Each count walks every message of the queue and reads the
  clock per message (``Message.visible`` and ``Message.delayed`` each call ``unix_time_millis()``).
* ``SQSBackend.send_message`` reads ``queue.attributes.get("ContentBasedDeduplication")`` for every
  message sent, so a ``SendMessageBatch`` of ten walks the whole queue thirty times (forty clock reads
  per waiting message).
* ``ReceiveMessage`` iterates ``Queue.messages``, a list of every visible, undelayed message built
  first in full, and for each message it returns checks the retention period through
  ``get_queue_attributes``, which reads ``queue.attributes`` three times: nine more full walks each.
* ``Queue.delete_message`` scans the whole queue for the receipt handle, then rebuilds the list.

So every call is linear in the queue's depth: 43 ms per batch of ten at 100 waiting messages, 330 ms
at 600, and under any backlog the local runtime stalls.

What :func:`apply` changes, and only that (moto is not forked; nothing is copied from it):

* ``Queue.attributes`` returns :class:`QueueAttributes`, a read-only mapping with the same keys, order
  and values, each computed on first read. Reading ``ContentBasedDeduplication`` or
  ``MessageRetentionPeriod`` no longer counts messages; asking for the counts still does, exactly as
  before (``GetQueueAttributes`` with ``ApproximateNumberOfMessages`` is as correct and as linear as
  moto's).
* ``Queue.messages`` returns :class:`VisibleMessages`, a view over the queue's message list that finds
  the visible, undelayed messages while it is iterated (``__iter__``), answers ``bool()`` at the first
  one and ``len()`` by counting. ``receive_message`` already stops after ``count`` messages, so a
  receive now inspects the in-flight and delayed messages ahead of the first ``count`` visible ones, not
  the queue.
* ``Queue.delete_message`` stops at the first message that had the receipt handle (receipt handles are
  unique) and replaces the list by a copy without it, under the queue's lock (a concurrent receive
  keeps iterating the list it started with, as with moto's rebuild).

Semantics are moto's: visibility timeouts, delays, redrive to the dead-letter queue after
``maxReceiveCount`` (decided in ``receive_message``, unchanged), FIFO groups and deduplication (their
code is untouched; a FIFO send still scans the queue for a duplicate deduplication id, without the
clock), purges, and the deleted-handle bookkeeping.

:func:`apply` is idempotent and version-guarded: it checks moto's version and the internals it relies
on, and when they are not as expected it logs a warning and leaves moto alone (moto then is slow under
a backlog, never wrong). :func:`revert` restores moto's originals (tests use it).
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger("orbit.local")

TESTED_VERSIONS = ("5.2.",)  # moto major.minor releases whose sqs/models.py this was written against
_COUNT_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
)
_COUNT_PROPERTIES = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_lock = threading.Lock()
_originals: dict[str, Any] = {}  # "attributes" / "messages" / "delete_message" -> moto's own, while applied


class QueueAttributes(Mapping[str, Any]):
    """What moto's ``Queue.attributes`` returns, with each value computed on first read.

    Keys, their order and values are those of moto's dict: the base attributes, the FIFO ones for a
    FIFO queue, the KMS ones when a key is set; booleans as ``"true"``/``"false"``; ``RedrivePolicy`` as
    JSON. Membership and iteration never compute a value.
    """

    __slots__ = ("_keys", "_queue", "_values")

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        keys = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            keys += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            keys += queue.KMS_ATTRIBUTES
        self._keys: dict[str, None] = dict.fromkeys(keys)
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        if key not in self._values:
            self._values[key] = self._compute(key)
        return self._values[key]

    def _compute(self, key: str) -> Any:
        from moto.core.utils import camelcase_to_underscores

        queue = self._queue
        if key == "RedrivePolicy":
            value = json.dumps(queue.redrive_policy) if queue.redrive_policy else queue.redrive_policy
        else:
            value = getattr(queue, camelcase_to_underscores(key))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"QueueAttributes({self._queue.name!r}, computed={sorted(self._values)})"


class VisibleMessages:
    """What moto's ``Queue.messages`` returns: the visible, undelayed messages, found while iterating."""

    __slots__ = ("_queue",)

    def __init__(self, queue: Any) -> None:
        self._queue = queue

    def __iter__(self) -> Iterator[Any]:
        for message in self._queue._messages:
            if message.visible and not message.delayed:
                yield message

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, index: int) -> Any:
        return list(self)[index]


def _attributes(queue: Any) -> QueueAttributes:
    return QueueAttributes(queue)


def _messages(queue: Any) -> VisibleMessages:
    return VisibleMessages(queue)


def _delete_message(queue: Any, receipt_handle: str) -> None:
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in queue.deleted_messages:
        return  # already deleted: moto answers success again
    with queue._messages_lock:
        messages = queue._messages
        index = next((i for i, m in enumerate(messages) if m.had_receipt_handle(receipt_handle)), None)
        if index is None:
            raise ReceiptHandleIsInvalid()
        message = messages[index]
        queue.pending_messages.discard(message)
        queue.deleted_messages.update(message.all_receipt_handles)
        queue._messages = messages[:index] + messages[index + 1 :]


_ATTRIBUTES = property(_attributes, doc="moto's queue attributes, computed per key (chalicelib.local.moto_sqs)")
_MESSAGES = property(_messages, doc="moto's visible messages, found lazily (chalicelib.local.moto_sqs)")


def problems() -> list[str]:
    """Why :func:`apply` would leave this moto alone (empty: it can patch it)."""
    try:
        import moto
        from moto.sqs import exceptions
        from moto.sqs.models import Message, Queue, SQSBackend
    except ImportError as exc:
        return [f"moto's SQS cannot be imported ({exc})"]
    found: list[str] = []
    version = getattr(moto, "__version__", "?")
    if not version.startswith(TESTED_VERSIONS):
        found.append(f"moto {version} is not a tested version ({', '.join(v + 'x' for v in TESTED_VERSIONS)})")
    expected_properties: list[tuple[Any, tuple[str, ...]]] = [
        (Queue, ("messages", *_COUNT_PROPERTIES)),
        (Message, ("visible", "delayed")),
    ]
    for cls, names in expected_properties:
        for name in names:
            if not isinstance(inspect.getattr_static(cls, name, None), property):
                found.append(f"{cls.__name__}.{name} is not a property")
    if not isinstance(inspect.getattr_static(Queue, "attributes", None), property):
        found.append("Queue.attributes is not a property")
    expected_methods: list[tuple[Any, tuple[str, ...]]] = [
        (Queue, ("delete_message", "add_message", "wait_for_messages")),
        (Message, ("had_receipt_handle",)),
        (SQSBackend, ("receive_message", "send_message", "get_queue_attributes")),
    ]
    for cls, names in expected_methods:
        for name in names:
            if not callable(getattr(cls, name, None)):
                found.append(f"{cls.__name__}.{name} is missing")
    if not hasattr(exceptions, "ReceiptHandleIsInvalid"):
        found.append("moto.sqs.exceptions.ReceiptHandleIsInvalid is missing")
    missing = [name for name in _COUNT_ATTRIBUTES if name not in getattr(Queue, "BASE_ATTRIBUTES", ())]
    if missing:
        found.append(f"Queue.BASE_ATTRIBUTES lacks {missing}")
    try:  # a detached queue (never registered with a backend) shows the instance state relied on
        queue_class: Any = Queue
        probe = queue_class("orbit-moto-probe", region="us-east-1", account_id="000000000000")
        state = {
            "_messages": isinstance(probe._messages, list),
            "_messages_lock": hasattr(probe._messages_lock, "__enter__"),
            "deleted_messages": isinstance(probe.deleted_messages, set),
            "pending_messages": isinstance(probe.pending_messages, set),
            "fifo_queue": hasattr(probe, "fifo_queue"),
            "kms_master_key_id": hasattr(probe, "kms_master_key_id"),
            "redrive_policy": hasattr(probe, "redrive_policy"),
            "FIFO_ATTRIBUTES": isinstance(getattr(Queue, "FIFO_ATTRIBUTES", None), list),
            "KMS_ATTRIBUTES": isinstance(getattr(Queue, "KMS_ATTRIBUTES", None), list),
        }
        found += [f"Queue.{name} is not as expected" for name, ok in state.items() if not ok]
    except Exception as exc:  # noqa: BLE001 - any surprise means: leave moto alone
        found.append(f"a probe Queue could not be built ({exc!r})")
    return found


def applied() -> bool:
    from moto.sqs.models import Queue

    return inspect.getattr_static(Queue, "attributes", None) is _ATTRIBUTES


def apply() -> bool:
    """Install the adjustment into moto's SQS models (idempotent); False when moto was left alone."""
    with _lock:
        try:
            from moto.sqs.models import Queue
        except ImportError:
            log.warning("moto's SQS is not installed; nothing to adjust")
            return False
        if applied():
            return True
        found = problems()
        if found:
            log.warning("moto's SQS internals are not as expected; leaving moto alone: %s", "; ".join(found))
            return False
        _originals.update(
            attributes=inspect.getattr_static(Queue, "attributes"),
            messages=inspect.getattr_static(Queue, "messages"),
            delete_message=inspect.getattr_static(Queue, "delete_message"),
        )
        setattr(Queue, "attributes", _ATTRIBUTES)  # noqa: B010 - patching a class attribute, on purpose
        setattr(Queue, "messages", _MESSAGES)  # noqa: B010
        setattr(Queue, "delete_message", _delete_message)  # noqa: B010
        return True


def revert() -> None:
    """Put moto's own ``attributes``, ``messages`` and ``delete_message`` back (a no-op when not applied)."""
    with _lock:
        if not _originals:
            return
        from moto.sqs.models import Queue

        for name, original in _originals.items():
            setattr(Queue, name, original)
        _originals.clear()
